#pragma once
// Parameters of the synthetic SPLADE++ ED / MS MARCO corpus model. The defaults
// are the calibrated values (docs/BENCHMARKS.md, "Generator calibration").
#include <cstdint>

namespace spindle::gen {

struct ModelParams {
    // Vocabulary (BERT WordPiece size used by SPLADE).
    std::uint32_t vocab_size = 30522;

    // Nonzeros per document: lognormal with this mean and log-space sigma, clamped.
    double doc_nnz_mean = 127.0;
    double doc_nnz_sigma = 0.42;
    std::uint32_t doc_nnz_min = 1;
    std::uint32_t doc_nnz_max = 600;

    // Head terms (the most popular columns): each appears in a document of
    // average length independently with probability head_peak * (rank+1)^-head_exponent,
    // scaled by the document's length relative to the mean.
    std::uint32_t head_terms = 1000;
    double head_peak = 0.9;
    double head_exponent = 0.5;

    // Long tail outside the head: Zipf over the remaining columns.
    double tail_zipf = 1.0;

    // Topic mixture: each document has a primary topic (Zipf popularity over
    // topics) and sometimes a secondary one; non-head terms come from the
    // topics' term lists (Zipf over list position) or the background tail.
    std::uint32_t topics = 8192;
    std::uint32_t topic_terms = 192;
    double topic_popularity_zipf = 0.6;
    double topic_position_zipf = 0.9;
    /// Zipf exponent of the draws that fill topic lists from the columns
    /// [head_terms, vocab); negative: tail_zipf (the calibrated model).
    double topic_list_zipf = -1.0;
    std::uint32_t topic_core_terms = 16;  ///< first positions: the topic's defining terms
    double secondary_topic_prob = 0.4;
    double primary_share = 0.7;     ///< of non-head draws, from the primary topic
    double secondary_share = 0.15;  ///< from the secondary topic (primary if none)

    // Document weights: lognormal; log-space shifts by term kind.
    double weight_mu = -1.15;
    double weight_sigma = 0.85;
    double weight_soft_cap = 3.0;  ///< above it, w -> cap + log(1 + w - cap): a long but bounded tail
    double head_weight_shift = -0.35;
    double core_weight_shift = 0.45;
    double background_weight_shift = -0.15;
    /// Log-space spread of a topic term's typical weight across (topic, term)
    /// pairs: when > 0, each pair gets a fixed offset ~ N(0, spread^2) and
    /// documents vary around it with sigma sqrt(weight_sigma^2 - spread^2), so
    /// the marginal stays lognormal(weight_sigma) but documents of one topic
    /// weight its terms alike. 0 (calibrated model): no offsets.
    double topic_weight_spread = 0.0;

    // Generated queries (impact TSV: integer weights by repetition).
    double query_terms_median = 42.0;
    double query_terms_sigma = 0.35;
    std::uint32_t query_terms_min = 5;
    std::uint32_t query_terms_max = 120;
    double query_topic_share = 0.35;
    /// Importance key of a query's background terms: 8 + 100 u (u uniform);
    /// topic terms have their list position. Terms are weighted in key order.
    double query_background_key = 8.0;
    // Query weights by importance rank r (topic terms by list position first,
    // then background terms): peak * (1 + r / rank_scale)^-decay, times
    // lognormal noise; real SPLADE queries have a few heavy terms (~2,700) and
    // a long light tail.
    double query_weight_peak = 2800.0;
    double query_weight_rank_scale = 4.5;
    double query_weight_decay = 1.35;
    double query_weight_noise = 0.45;
    std::uint32_t query_weight_max = 3600;
};

/// The topical preset (`spindle generate --topics N`): documents of one
/// subject share many terms and queries come from the same subjects, the case
/// where block-max bounds get loose. Every document has exactly one topic
/// (uniform over `topics`); `topic_share` of its terms come from that topic's
/// `topic_terms`-term list (Zipf `topic_position_zipf` over list positions;
/// lists drawn by a flat Zipf(0.5) over the vocabulary, so topics differ),
/// the rest from a Zipf(1) background over the whole vocabulary (no separate
/// head); ~114 nonzeros per document. Each (topic, term) has a typical weight
/// (log-offset ~ N(0, topic_weight_spread^2)), so documents of one topic
/// weight its terms alike and score alike: block-max bounds get loose. Queries keep the calibrated length and
/// weight model (so their marginal statistics stay those of the real
/// queries) but draw `query_topic_share` of their terms from one topic, and
/// those take the heavier weights (background terms rank after them).
struct TopicalOptions {
    std::uint32_t topics = 200;
    std::uint32_t topic_terms = 300;
    double topic_share = 0.9;
    double topic_position_zipf = 1.0;
    double query_topic_share = 0.6;
    double doc_nnz_mean = 114.0;
    double topic_weight_spread = 0.84;
};

/// The calibrated parameters with the topical preset applied; throws
/// InvalidArgument (through validate()) when an option is out of range.
ModelParams topical_params(const TopicalOptions& t);

}  // namespace spindle::gen
