#pragma once
// A decorator that checks the cursor contract on every call (after Lucene's
// AssertingScorer and PISA's test cursors): docids strictly increase, next_geq
// lands on a docid >= its target, shallow targets never decrease, and
// score <= block max <= list max. Violations are reported as test failures.
#include <gtest/gtest.h>

#include "spindle/query/cursor_concepts.hpp"

namespace spindle::test {

template <BlockMaxCursor C>
class AssertingCursor {
public:
    AssertingCursor(C inner, C shadow, docid_t end) : c_(std::move(inner)), shadow_(std::move(shadow)), end_(end) {
        check_position();
    }

    [[nodiscard]] docid_t docid() const { return c_.docid(); }
    [[nodiscard]] std::uint64_t size() const { return c_.size(); }
    void next() {
        const docid_t before = c_.docid();
        EXPECT_LT(before, end_) << "next() called on an exhausted cursor";
        c_.next();
        EXPECT_TRUE(c_.docid() > before || c_.docid() == end_) << "docids must strictly increase";
        check_position();
    }
    void next_geq(docid_t d) {
        const docid_t before = c_.docid();
        c_.next_geq(d);
        EXPECT_GE(c_.docid(), before) << "next_geq moved backwards";
        EXPECT_TRUE(c_.docid() >= d || c_.docid() == end_) << "next_geq(" << d << ") stopped at " << c_.docid();
        check_position();
    }
    [[nodiscard]] score_t score() const {
        EXPECT_LT(c_.docid(), end_) << "score() on an exhausted cursor";
        return c_.score();
    }
    [[nodiscard]] score_t max_score() const { return c_.max_score(); }
    void shallow_next_geq(docid_t d) {
        EXPECT_GE(d, last_shallow_) << "shallow targets must not decrease";
        last_shallow_ = d;
        c_.shallow_next_geq(d);
        EXPECT_LE(c_.block_max_score(), c_.max_score()) << "block max above list max";
        EXPECT_TRUE(c_.block_last_docid() >= d || c_.block_last_docid() == end_) << "shallow block ends before target";
    }
    [[nodiscard]] score_t block_max_score() const { return c_.block_max_score(); }
    [[nodiscard]] docid_t block_last_docid() const { return c_.block_last_docid(); }

    [[nodiscard]] std::uint64_t checks() const { return checks_; }

private:
    // The current posting's score must respect its block's and its list's bound.
    void check_position() {
        if (c_.docid() >= end_) return;
        shadow_.shallow_next_geq(c_.docid());
        const score_t s = c_.score();
        EXPECT_LE(s, shadow_.block_max_score()) << "score above block max at doc " << c_.docid();
        EXPECT_LE(shadow_.block_max_score(), c_.max_score()) << "block max above list max";
        EXPECT_GE(shadow_.block_last_docid(), c_.docid());
        ++checks_;
    }

    C c_;
    C shadow_;
    docid_t end_;
    docid_t last_shallow_ = 0;
    std::uint64_t checks_ = 0;
};

}  // namespace spindle::test
