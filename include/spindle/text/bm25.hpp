#pragma once
// BM25 exactly as Lucene's BM25Similarity (Lucene >= 8) computes it, so that
// scores match Anserini:
//   idf(df)       = (float) ln(1 + (N - df + 0.5) / (df + 0.5))      (double, then float)
//   weight(tf, d) = idf - idf / (1 + tf * inv_norm(d))               (float)
//   inv_norm(d)   = 1 / (k1 * ((1 - b) + b * L(d) / avgdl))          (float)
// which equals idf * tf / (tf + k1 * (1 - b + b * L / avgdl)): there is no
// (k1 + 1) factor (Lucene 8 dropped it; it does not change rankings). N is the
// number of documents with at least one term, avgdl = total terms / N, and L
// is the document length after Lucene's lossy one-byte norm:
// L = byte4_to_int(int_to_byte4(length)). A query term repeated c times
// contributes c * weight (Anserini boosts the term query by its count).
#include <cstdint>

namespace spindle::text {

struct Bm25Params {
    float k1 = 0.9F;  ///< Anserini default
    float b = 0.4F;   ///< Anserini default
    /// Throws InvalidArgument unless k1 >= 0 and 0 <= b <= 1 (both finite).
    void validate() const;
};

/// Lucene's SmallFloat.intToByte4: a length as one byte (exact below 24,
/// then 4 significant bits).
[[nodiscard]] std::uint8_t int_to_byte4(std::uint32_t length);
/// Lucene's SmallFloat.byte4ToInt: the length a norm byte stands for.
[[nodiscard]] std::uint32_t byte4_to_int(std::uint8_t b);

class Bm25 {
public:
    /// `docs_with_terms` = N, `total_terms` = sum of document lengths.
    Bm25(Bm25Params p, std::uint64_t docs_with_terms, std::uint64_t total_terms);
    [[nodiscard]] float idf(std::uint64_t df) const;
    /// Weight of a term with frequency `tf` in a document of `length` terms.
    [[nodiscard]] float weight(float idf, std::uint32_t tf, std::uint32_t length) const;
    [[nodiscard]] float avgdl() const { return avgdl_; }

private:
    Bm25Params p_;
    double n_;
    float avgdl_;
    float inv_norm_[256];
};

}  // namespace spindle::text
