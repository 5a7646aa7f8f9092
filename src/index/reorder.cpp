#include "spindle/index/reorder.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <mutex>
#include <numeric>
#include <string>
#include <thread>
#include <utility>

#include "spindle/common/error.hpp"

namespace spindle {

Reorder parse_reorder(std::string_view name) {
    if (name == "none") return Reorder::none;
    if (name == "bp") return Reorder::bp;
    throw InvalidArgument("unknown reordering '" + std::string(name) + "' (valid: none, bp)");
}

std::string_view to_string(Reorder r) { return r == Reorder::bp ? "bp" : "none"; }

void BisectionOptions::validate() const {
    if (iterations == 0) throw InvalidArgument("bisection iterations must be at least 1");
    if (leaf_docs < 2) throw InvalidArgument("bisection leaf size must be at least 2 documents");
    if (threads == 0) throw InvalidArgument("bisection threads must be at least 1");
}

namespace {

/// Per-thread buffers; degree arrays are all-zero between bisections.
struct Workspace {
    explicit Workspace(std::size_t num_terms)
        : deg_left(num_terms, 0), deg_right(num_terms, 0), gain_left(num_terms, 0.0F), gain_right(num_terms, 0.0F) {}
    std::vector<std::uint32_t> deg_left;
    std::vector<std::uint32_t> deg_right;
    std::vector<float> gain_left;   ///< cost saved by moving one document with the term left -> right
    std::vector<float> gain_right;  ///< the same, right -> left
    std::vector<termid_t> touched;
    std::vector<std::pair<float, docid_t>> left;
    std::vector<std::pair<float, docid_t>> right;
};

class Bisector {
public:
    Bisector(std::span<const std::uint64_t> doc_begin, std::span<const termid_t> terms, std::size_t num_terms,
             const BisectionOptions& opts)
        : doc_begin_(doc_begin), terms_(terms), num_terms_(num_terms), opts_(opts) {
        const std::size_t n = doc_begin.size() - 1;
        log2_.resize(n + 3);
        log2_[0] = 0.0F;
        for (std::size_t i = 1; i < log2_.size(); ++i) log2_[i] = static_cast<float>(std::log2(static_cast<double>(i)));
        while ((2U << parallel_depth_) <= opts.threads) ++parallel_depth_;
    }

    void run(std::span<docid_t> docs) {
        Workspace ws(num_terms_);
        bisect(docs, 0, ws);
        if (error_) std::rethrow_exception(error_);
    }

private:
    [[nodiscard]] std::span<const termid_t> doc_terms(docid_t d) const {
        return terms_.subspan(doc_begin_[d], doc_begin_[d + 1] - doc_begin_[d]);
    }

    /// Cost change of moving one document holding a term from a half of size
    /// n_from (degree from) to one of size n_to (degree to); positive = saving.
    [[nodiscard]] float move_gain(std::uint32_t from, std::uint32_t to, std::size_t n_from, std::size_t n_to) const {
        const float lf = log2_[n_from];
        const float lt = log2_[n_to];
        const auto df = static_cast<float>(from);
        const auto dt = static_cast<float>(to);
        const float before = df * (lf - log2_[from + 1]) + dt * (lt - log2_[to + 1]);
        const float after = (df - 1.0F) * (lf - log2_[from]) + (dt + 1.0F) * (lt - log2_[to + 2]);
        return before - after;
    }

    void bisect(std::span<docid_t> docs, unsigned depth, Workspace& ws) {
        if (docs.size() <= opts_.leaf_docs) {
            report(docs.size());
            return;
        }
        const std::size_t mid = docs.size() / 2;
        std::span<docid_t> L = docs.first(mid);
        std::span<docid_t> R = docs.subspan(mid);
        swap_rounds(L, R, ws);
        if (depth < parallel_depth_) {
            std::thread left([this, L, depth] {
                try {
                    Workspace own(num_terms_);
                    bisect(L, depth + 1, own);
                } catch (...) {
                    const std::lock_guard lock(mutex_);
                    if (!error_) error_ = std::current_exception();
                }
            });
            try {
                bisect(R, depth + 1, ws);
            } catch (...) {
                left.join();
                throw;
            }
            left.join();
        } else {
            bisect(L, depth + 1, ws);
            bisect(R, depth + 1, ws);
        }
    }

    void swap_rounds(std::span<docid_t> L, std::span<docid_t> R, Workspace& ws) {
        ws.touched.clear();
        for (docid_t d : L) {
            for (termid_t t : doc_terms(d)) {
                if (ws.deg_left[t] == 0 && ws.deg_right[t] == 0) ws.touched.push_back(t);
                ++ws.deg_left[t];
            }
        }
        for (docid_t d : R) {
            for (termid_t t : doc_terms(d)) {
                if (ws.deg_left[t] == 0 && ws.deg_right[t] == 0) ws.touched.push_back(t);
                ++ws.deg_right[t];
            }
        }
        const std::size_t nl = L.size();
        const std::size_t nr = R.size();
        for (std::uint32_t round = 0; round < opts_.iterations; ++round) {
            for (termid_t t : ws.touched) {
                const std::uint32_t dl = ws.deg_left[t];
                const std::uint32_t dr = ws.deg_right[t];
                ws.gain_left[t] = dl > 0 ? move_gain(dl, dr, nl, nr) : 0.0F;
                ws.gain_right[t] = dr > 0 ? move_gain(dr, dl, nr, nl) : 0.0F;
            }
            auto score = [&](std::span<docid_t> half, const std::vector<float>& gain,
                             std::vector<std::pair<float, docid_t>>& out) {
                out.clear();
                for (docid_t d : half) {
                    float g = 0.0F;
                    for (termid_t t : doc_terms(d)) g += gain[t];
                    out.emplace_back(g, d);
                }
                std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
                    return a.first > b.first || (a.first == b.first && a.second < b.second);
                });
            };
            score(L, ws.gain_left, ws.left);
            score(R, ws.gain_right, ws.right);
            std::size_t swaps = 0;
            const std::size_t m = std::min(nl, nr);
            while (swaps < m && ws.left[swaps].first + ws.right[swaps].first > 0.0F) ++swaps;
            for (std::size_t i = 0; i < nl; ++i) L[i] = ws.left[i].second;
            for (std::size_t i = 0; i < nr; ++i) R[i] = ws.right[i].second;
            for (std::size_t i = 0; i < swaps; ++i) {
                for (termid_t t : doc_terms(L[i])) {
                    --ws.deg_left[t];
                    ++ws.deg_right[t];
                }
                for (termid_t t : doc_terms(R[i])) {
                    --ws.deg_right[t];
                    ++ws.deg_left[t];
                }
                std::swap(L[i], R[i]);
            }
            if (swaps == 0) break;
        }
        for (termid_t t : ws.touched) {
            ws.deg_left[t] = 0;
            ws.deg_right[t] = 0;
        }
    }

    void report(std::size_t placed) {
        const std::uint64_t now = placed_.fetch_add(placed) + placed;
        if (!opts_.progress) return;
        const std::lock_guard lock(mutex_);
        opts_.progress(now, doc_begin_.size() - 1);
    }

    std::span<const std::uint64_t> doc_begin_;
    std::span<const termid_t> terms_;
    std::size_t num_terms_;
    const BisectionOptions& opts_;
    std::vector<float> log2_;
    unsigned parallel_depth_ = 0;
    std::atomic<std::uint64_t> placed_{0};
    std::mutex mutex_;
    std::exception_ptr error_;
};

}  // namespace

std::vector<docid_t> graph_bisection_order(std::span<const std::uint64_t> doc_begin, std::span<const termid_t> terms,
                                           std::size_t num_terms, const BisectionOptions& opts) {
    opts.validate();
    if (doc_begin.empty()) throw InvalidArgument("graph bisection needs document offsets (n + 1 entries)");
    const std::size_t n = doc_begin.size() - 1;
    if (n > std::numeric_limits<docid_t>::max()) throw InvalidArgument("graph bisection: too many documents");
    for (termid_t t : terms) {
        if (t >= num_terms) throw InvalidArgument("graph bisection: term id " + std::to_string(t) + " out of range");
    }
    std::vector<docid_t> order(n);
    std::iota(order.begin(), order.end(), docid_t{0});
    Bisector(doc_begin, terms, num_terms, opts).run(order);
    return order;
}

double log_gap_cost(std::span<const std::uint64_t> doc_begin, std::span<const termid_t> terms, std::size_t num_terms,
                    std::span<const docid_t> order) {
    const std::size_t n = doc_begin.empty() ? 0 : doc_begin.size() - 1;
    if (!order.empty() && order.size() != n) throw InvalidArgument("log_gap_cost: order has the wrong size");
    std::vector<std::int64_t> last(num_terms, -1);
    double bits = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t d = order.empty() ? i : order[i];
        for (std::uint64_t j = doc_begin[d]; j < doc_begin[d + 1]; ++j) {
            const termid_t t = terms[j];
            bits += std::log2(static_cast<double>(static_cast<std::int64_t>(i) - last[t]));
            last[t] = static_cast<std::int64_t>(i);
        }
    }
    return bits;
}

}  // namespace spindle
