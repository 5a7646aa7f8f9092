#include "spindle/gen/corpus_model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "spindle/common/error.hpp"

namespace spindle::gen {
namespace {

// Salts that separate the random streams of documents, queries and topics.
constexpr std::uint64_t kDocSalt = 0x646f6373ULL;
constexpr std::uint64_t kQuerySalt = 0x71756572ULL;
constexpr std::uint64_t kTopicSalt = 0x746f7069ULL;
constexpr std::uint64_t kOffsetSalt = 0x6f666673ULL;

std::uint32_t clamp_round(double x, std::uint32_t lo, std::uint32_t hi) {
    if (!(x >= static_cast<double>(lo))) return lo;
    if (x >= static_cast<double>(hi)) return hi;
    return static_cast<std::uint32_t>(std::lround(x));
}

void require(bool ok, const char* what) {
    if (!ok) throw InvalidArgument(fmt::format("generator parameter out of range: {}", what));
}

}  // namespace

void validate(const ModelParams& p) {
    require(p.vocab_size >= 16 && p.vocab_size <= (1U << 30), "vocab_size in [16, 2^30]");
    require(p.doc_nnz_min >= 1 && p.doc_nnz_min <= p.doc_nnz_max, "1 <= doc_nnz_min <= doc_nnz_max");
    require(p.doc_nnz_max < p.vocab_size / 4, "doc_nnz_max < vocab_size / 4");
    require(p.doc_nnz_mean >= 1 && p.doc_nnz_sigma >= 0, "doc_nnz_mean >= 1, doc_nnz_sigma >= 0");
    require(p.head_terms < p.vocab_size / 2, "head_terms < vocab_size / 2");
    require(p.head_peak >= 0 && p.head_peak <= 1 && p.head_exponent >= 0, "head_peak in [0,1], head_exponent >= 0");
    require(p.topics >= 1 && p.topic_terms >= 1 && p.topic_terms <= (p.vocab_size - p.head_terms) / 2,
            "topics >= 1, 1 <= topic_terms <= (vocab - head) / 2");
    require(static_cast<std::uint64_t>(p.topics) * p.topic_terms <= (std::uint64_t{1} << 26),
            "topics * topic_terms <= 2^26");
    require(p.topic_core_terms <= p.topic_terms, "topic_core_terms <= topic_terms");
    require(p.primary_share >= 0 && p.secondary_share >= 0 && p.primary_share + p.secondary_share <= 1,
            "primary_share + secondary_share <= 1");
    require(p.secondary_topic_prob >= 0 && p.secondary_topic_prob <= 1, "secondary_topic_prob in [0,1]");
    require(p.weight_soft_cap > 0 && p.weight_sigma >= 0 && p.query_terms_sigma >= 0, "sigmas >= 0");
    require(p.topic_weight_spread >= 0 && p.topic_weight_spread <= p.weight_sigma,
            "0 <= topic_weight_spread <= weight_sigma");
    require(p.query_terms_min >= 1 && p.query_terms_min <= p.query_terms_max && p.query_terms_max < p.vocab_size / 4,
            "1 <= query_terms_min <= query_terms_max < vocab / 4");
    require(p.query_topic_share >= 0 && p.query_topic_share <= 1, "query_topic_share in [0,1]");
    require(p.query_weight_peak >= 1 && p.query_weight_max >= 1 && p.query_weight_rank_scale > 0 &&
                p.query_weight_decay >= 0 && p.query_weight_noise >= 0,
            "query weight peak/max >= 1, rank_scale > 0, decay and noise >= 0");
}

ModelParams topical_params(const TopicalOptions& t) {
    ModelParams p;
    p.topics = t.topics;
    p.topic_terms = t.topic_terms;
    p.topic_popularity_zipf = 0.0;  // uniform over topics
    p.topic_position_zipf = t.topic_position_zipf;
    p.secondary_topic_prob = 0.0;
    p.primary_share = t.topic_share;
    p.secondary_share = 0.0;
    p.head_terms = 0;  // the background is one Zipf(1) over the whole vocabulary
    p.tail_zipf = 1.0;
    p.topic_list_zipf = 0.5;
    p.doc_nnz_mean = t.doc_nnz_mean;
    p.query_topic_share = t.query_topic_share;
    p.query_background_key = static_cast<double>(t.topic_terms);  // topic terms weigh more
    p.topic_weight_spread = t.topic_weight_spread;
    validate(p);
    return p;
}

CorpusModel::CorpusModel(const ModelParams& params, std::uint64_t seed, const RealQueries* real)
    : p_(params), seed_(seed) {
    validate(p_);
    build_vocabulary(real);

    head_prob_.resize(p_.head_terms);
    for (std::uint32_t i = 0; i < p_.head_terms; ++i)
        head_prob_[i] = p_.head_peak * std::pow(static_cast<double>(i + 1), -p_.head_exponent);

    std::vector<double> w(p_.vocab_size - p_.head_terms);
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = std::pow(static_cast<double>(i + 1), -p_.tail_zipf);
    tail_ = AliasTable(w);
    if (p_.topic_list_zipf >= 0) {
        for (std::size_t i = 0; i < w.size(); ++i) w[i] = std::pow(static_cast<double>(i + 1), -p_.topic_list_zipf);
        topic_list_ = AliasTable(w);
    }

    w.assign(p_.topics, 0);
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = std::pow(static_cast<double>(i + 1), -p_.topic_popularity_zipf);
    topic_pick_ = AliasTable(w);

    w.assign(p_.topic_terms, 0);
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = std::pow(static_cast<double>(i + 1), -p_.topic_position_zipf);
    position_ = AliasTable(w);

    // Query terms outside the topic follow real query popularity where known,
    // else a fit of it: df(rank) ~ (1 + rank / 250)^-1.7 (flat head, steep tail).
    w.assign(p_.vocab_size, 0);
    if (real != nullptr && real_tokens_ > 0) {
        for (std::uint32_t i = 0; i < real_tokens_; ++i) w[i] = real->df[i];
    } else {
        for (std::size_t i = 0; i < w.size(); ++i) w[i] = std::pow(1.0 + static_cast<double>(i) / 250.0, -1.7);
    }
    query_background_ = AliasTable(w);

    const double ds = p_.doc_nnz_sigma;
    doc_len_mu_ = std::log(p_.doc_nnz_mean) - 0.5 * ds * ds;
    query_len_mu_ = std::log(p_.query_terms_median);
    build_topics(seed, real);
}

void CorpusModel::build_vocabulary(const RealQueries* real) {
    vocab_.resize(p_.vocab_size);
    if (real != nullptr)
        real_tokens_ = static_cast<std::uint32_t>(std::min<std::size_t>(real->tokens.size(), p_.vocab_size));
    for (std::uint32_t i = 0; i < p_.vocab_size; ++i)
        vocab_[i] = i < real_tokens_ ? real->tokens[i] : fmt::format("tok{}", i);
}

void CorpusModel::build_topics(std::uint64_t seed, const RealQueries* real) {
    const std::uint32_t t_len = p_.topic_terms;
    topic_terms_.assign(static_cast<std::size_t>(p_.topics) * t_len, 0);
    std::vector<std::uint8_t> used(p_.vocab_size, 0);
    // Real queries seed topics in a seed-dependent order.
    std::vector<std::uint32_t> order;
    if (real != nullptr && !real->queries.empty()) {
        const auto nq = static_cast<std::uint32_t>(real->queries.size());
        order.reserve(nq);
        for (std::uint32_t i = 0; i < nq; ++i) order.push_back(i);
        Rng shuffle(mix_seed(seed, kTopicSalt));
        for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[shuffle.below(i)]);
    }
    for (std::uint32_t t = 0; t < p_.topics; ++t) {
        Rng rng(mix_seed(seed, kTopicSalt + 1 + t));
        std::uint32_t* list = &topic_terms_[static_cast<std::size_t>(t) * t_len];
        std::uint32_t n = 0;
        if (!order.empty()) {
            for (const auto& [tok, weight] : real->queries[order[t % order.size()]]) {
                if (n == t_len) break;
                if (tok >= p_.vocab_size || used[tok]) continue;
                used[tok] = 1;
                list[n++] = tok;
            }
        }
        const std::uint32_t core = n;
        while (n < t_len) {
            const std::uint32_t tok = p_.head_terms + (topic_list_.size() > 0 ? topic_list_ : tail_).sample(rng);
            if (used[tok]) continue;
            used[tok] = 1;
            list[n++] = tok;
        }
        // Popular tail terms are drawn first; shuffle so they do not take the
        // topic's defining (most probable) positions in every topic.
        for (std::uint32_t i = t_len; i > core + 1; --i) std::swap(list[i - 1], list[core + rng.below(i - core)]);
        for (std::uint32_t i = 0; i < t_len; ++i) used[list[i]] = 0;
    }
    if (p_.topic_weight_spread > 0) {
        // Own stream: the topic lists are the same with or without offsets.
        Rng rng(mix_seed(seed, kOffsetSalt));
        topic_offsets_.resize(topic_terms_.size());
        for (float& o : topic_offsets_) o = static_cast<float>(p_.topic_weight_spread * rng.normal());
    }
}

std::uint32_t CorpusModel::draw_topic_term(Rng& rng, std::uint32_t topic, Kind& kind, double& offset) const {
    const std::uint32_t pos = position_.sample(rng);
    kind = pos < p_.topic_core_terms ? Kind::core : Kind::topic;
    const std::size_t at = static_cast<std::size_t>(topic) * p_.topic_terms + pos;
    offset = topic_offsets_.empty() ? 0.0 : static_cast<double>(topic_offsets_[at]);
    return topic_terms_[at];
}

void CorpusModel::Sampler::next_stamp() {
    if (++cur_ == 0) {  // wrapped: clear the marks
        std::fill(stamp_.begin(), stamp_.end(), 0U);
        cur_ = 1;
    }
}

void CorpusModel::Sampler::document(std::uint64_t docno, SparseRow& out, std::uint32_t* topic) {
    const CorpusModel& m = *m_;
    const ModelParams& p = m.p_;
    Rng rng(mix_seed(m.seed_ ^ kDocSalt, docno));
    next_stamp();
    pending_.clear();
    out.clear();

    const std::uint32_t len = clamp_round(rng.lognormal(m.doc_len_mu_, p.doc_nnz_sigma), p.doc_nnz_min, p.doc_nnz_max);
    const std::uint32_t primary = m.topic_pick_.sample(rng);
    std::uint32_t secondary = primary;
    if (rng.bernoulli(p.secondary_topic_prob)) secondary = m.topic_pick_.sample(rng);
    if (topic != nullptr) *topic = primary;

    const double ws = p.weight_sigma;
    // Exactly weight_sigma without offsets, so the calibrated stream is unchanged.
    const double within_sigma =
        p.topic_weight_spread > 0 ? std::sqrt(std::max(0.0, ws * ws - p.topic_weight_spread * p.topic_weight_spread)) : ws;
    const auto add = [&](std::uint32_t id, Kind kind, double offset) {
        double shift = 0;
        switch (kind) {
            case Kind::head:
                shift = p.head_weight_shift;
                break;
            case Kind::core:
                shift = p.core_weight_shift;
                break;
            case Kind::topic:
                break;
            case Kind::background:
                shift = p.background_weight_shift;
                break;
        }
        const bool in_topic = kind == Kind::core || kind == Kind::topic;
        double w = rng.lognormal(p.weight_mu + shift + offset, in_topic ? within_sigma : p.weight_sigma);
        if (w > p.weight_soft_cap) w = p.weight_soft_cap + std::log1p(w - p.weight_soft_cap);
        // Rounded to 1e-3 (w > 0, so truncating w * 1000 + 0.5 rounds), at least 0.001.
        const auto milli = std::max<std::int64_t>(1, static_cast<std::int64_t>(w * 1000.0 + 0.5));
        const double q = static_cast<double>(milli) / 1000.0;
        pending_.push_back({id, static_cast<float>(q)});
    };

    // Head terms: independent Bernoulli draws, more of them in longer documents.
    const double scale = static_cast<double>(len) / p.doc_nnz_mean;
    for (std::uint32_t i = 0; i < p.head_terms && pending_.size() < len; ++i) {
        if (rng.uniform() < m.head_prob_[i] * scale) {
            mark(i);
            add(i, Kind::head, 0.0);
        }
    }
    // The rest from the topics and the background tail, distinct.
    std::uint64_t attempts = 0;
    const std::uint64_t max_attempts = 16ULL * len + 64;
    while (pending_.size() < len && attempts++ < max_attempts) {
        const double u = rng.uniform();
        Kind kind = Kind::background;
        std::uint32_t id = 0;
        double offset = 0;
        if (u < p.primary_share) {
            id = m.draw_topic_term(rng, primary, kind, offset);
        } else if (u < p.primary_share + p.secondary_share) {
            id = m.draw_topic_term(rng, secondary, kind, offset);
        } else {
            id = p.head_terms + m.tail_.sample(rng);
        }
        if (mark(id)) add(id, kind, offset);
    }
    std::sort(pending_.begin(), pending_.end(), [](const Pending& a, const Pending& b) { return a.id < b.id; });
    out.ids.reserve(pending_.size());
    out.weights.reserve(pending_.size());
    for (const auto& e : pending_) {
        out.ids.push_back(e.id);
        out.weights.push_back(e.weight);
    }
}

void CorpusModel::Sampler::query(std::uint64_t qno, ImpactQuery& out, std::uint32_t* topic_out) {
    const CorpusModel& m = *m_;
    const ModelParams& p = m.p_;
    Rng rng(mix_seed(m.seed_ ^ kQuerySalt, qno));
    next_stamp();
    pending_.clear();
    out.ids.clear();
    out.weights.clear();

    const std::uint32_t len =
        clamp_round(rng.lognormal(m.query_len_mu_, p.query_terms_sigma), p.query_terms_min, p.query_terms_max);
    const std::uint32_t topic = m.topic_pick_.sample(rng);
    if (topic_out != nullptr) *topic_out = topic;
    // Draw distinct terms; `weight` holds an importance key first (lower = heavier).
    std::uint64_t attempts = 0;
    const std::uint64_t max_attempts = 16ULL * len + 64;
    while (pending_.size() < len && attempts++ < max_attempts) {
        double key = 0;
        std::uint32_t id = 0;
        if (rng.uniform() < p.query_topic_share) {
            const std::uint32_t pos = m.position_.sample(rng);
            id = m.topic_terms_[static_cast<std::size_t>(topic) * p.topic_terms + pos];
            key = static_cast<double>(pos);
        } else {
            id = m.query_background_.sample(rng);
            key = p.query_background_key + 100.0 * rng.uniform();
        }
        if (mark(id)) pending_.push_back({id, static_cast<float>(key)});
    }
    std::stable_sort(pending_.begin(), pending_.end(),
                     [](const Pending& a, const Pending& b) { return a.weight < b.weight; });
    for (std::size_t r = 0; r < pending_.size(); ++r) {
        const double base = p.query_weight_peak *
                            std::pow(1.0 + static_cast<double>(r) / p.query_weight_rank_scale, -p.query_weight_decay);
        double w = base * rng.lognormal(0.0, p.query_weight_noise);
        // Soft ceiling: real impacts bunch below their maximum instead of piling up at it.
        const double cap = p.query_weight_max, knee = 0.7 * cap;
        if (w > knee) w = knee + (cap - knee) * (1.0 - std::exp(-(w - knee) / (cap - knee)));
        pending_[r].weight = static_cast<float>(clamp_round(w, 1, p.query_weight_max));
    }
    std::sort(pending_.begin(), pending_.end(), [](const Pending& a, const Pending& b) { return a.id < b.id; });
    for (const auto& e : pending_) {
        out.ids.push_back(e.id);
        out.weights.push_back(static_cast<std::uint32_t>(e.weight));
    }
}

}  // namespace spindle::gen
