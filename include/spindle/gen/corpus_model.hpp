#pragma once
// The topic model behind `spindle generate`: a vocabulary ordered by
// popularity, Bernoulli head terms, Zipf-weighted topic term lists and a
// background tail. Documents and queries are pure functions of (seed, number),
// so any range can be generated independently and in any order.
#include <cstdint>
#include <string>
#include <vector>

#include "spindle/gen/model_params.hpp"
#include "spindle/gen/random.hpp"
#include "spindle/gen/real_queries.hpp"

namespace spindle::gen {

/// A sparse vector with ascending column ids.
struct SparseRow {
    std::vector<std::uint32_t> ids;
    std::vector<float> weights;
    void clear() {
        ids.clear();
        weights.clear();
    }
};

/// A generated query: ascending column ids with integer (impact) weights.
struct ImpactQuery {
    std::vector<std::uint32_t> ids;
    std::vector<std::uint32_t> weights;
};

class CorpusModel {
public:
    /// Builds the model; `real` (optional) names the vocabulary, ranks columns by
    /// real query popularity and seeds one topic per real query.
    CorpusModel(const ModelParams& params, std::uint64_t seed, const RealQueries* real);

    [[nodiscard]] const ModelParams& params() const { return p_; }
    [[nodiscard]] std::uint32_t vocab_size() const { return p_.vocab_size; }
    /// Token name of column `id`: the real token where known, else "tok<id>".
    [[nodiscard]] const std::vector<std::string>& vocabulary() const { return vocab_; }
    /// Number of columns named from real query tokens.
    [[nodiscard]] std::uint32_t real_tokens() const { return real_tokens_; }

    /// Scratch state for generation (one per thread).
    class Sampler {
    public:
        explicit Sampler(const CorpusModel& m) : m_(&m), stamp_(m.vocab_size(), 0) {}
        /// Document number `docno` (weights rounded to 1e-3, > 0); `topic`,
        /// when given, receives its primary topic.
        void document(std::uint64_t docno, SparseRow& out, std::uint32_t* topic = nullptr);
        /// Generated query number `qno`; `topic`, when given, receives its topic.
        void query(std::uint64_t qno, ImpactQuery& out, std::uint32_t* topic = nullptr);

    private:
        bool mark(std::uint32_t id) {
            if (stamp_[id] == cur_) return false;
            stamp_[id] = cur_;
            return true;
        }
        void next_stamp();
        const CorpusModel* m_;
        std::vector<std::uint32_t> stamp_;
        std::uint32_t cur_ = 0;
        struct Pending {
            std::uint32_t id;
            float weight;
        };
        std::vector<Pending> pending_;
    };

private:
    enum class Kind { head, core, topic, background };
    void build_vocabulary(const RealQueries* real);
    void build_topics(std::uint64_t seed, const RealQueries* real);
    [[nodiscard]] std::uint32_t draw_topic_term(Rng& rng, std::uint32_t topic, Kind& kind, double& offset) const;

    ModelParams p_;
    std::uint64_t seed_;
    std::vector<std::string> vocab_;
    std::uint32_t real_tokens_ = 0;
    std::vector<double> head_prob_;           ///< per head column, at mean length
    AliasTable tail_;                         ///< over columns [head_terms, vocab)
    AliasTable topic_list_;                   ///< draws of topic lists (empty: tail_)
    AliasTable topic_pick_;                   ///< topic popularity
    AliasTable position_;                     ///< position inside a topic list
    AliasTable query_background_;             ///< query terms outside the topic
    std::vector<std::uint32_t> topic_terms_;  ///< topics x topic_terms
    /// topics x topic_terms log-weight offsets (empty unless topic_weight_spread > 0).
    std::vector<float> topic_offsets_;
    double doc_len_mu_ = 0;
    double query_len_mu_ = 0;
};

/// Checks parameter ranges; throws InvalidArgument naming the bad one.
void validate(const ModelParams& p);

}  // namespace spindle::gen
