#pragma once
// Text analysis: raw UTF-8 text -> index terms. The "english" analyzer mirrors
// Lucene's EnglishAnalyzer as Anserini's DefaultEnglishAnalyzer configures it:
//   1. Unicode word segmentation (UAX #29, ICU's word BreakIterator), keeping
//      the segments Lucene's StandardTokenizer emits (letters, numbers; each
//      ideograph and hiragana character alone, katakana runs whole; emoji
//      sequences, as Lucene >= 7.4 does); tokens
//      longer than 255 UTF-16 units are cut into 255-unit pieces;
//   2. English possessive removal (trailing 's, ’s, ＇s in any case);
//   3. lowercasing (simple per-code-point case mapping, as Java's
//      Character.toLowerCase);
//   4. Lucene's default English stopword set (33 words);
//   5. Porter stemming with Snowball's "porter" algorithm, adjusted to
//      Lucene's PorterStemmer: words of at most two characters are left alone,
//      and Lucene's two departures from the published algorithm ("-bli" ->
//      "-ble", "-logi" -> "-log" in step 2) are applied.
// Invalid UTF-8 never stops analysis: each maximal invalid sequence becomes
// U+FFFD (a separator, as Java's decoder does) and is counted in
// AnalyzerStats::invalid_utf8.
// An Analyzer is not thread-safe; use one per thread.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace spindle::text {

struct AnalyzerStats {
    std::uint64_t invalid_utf8 = 0;  ///< invalid byte sequences replaced by U+FFFD
    std::uint64_t tokens = 0;        ///< tokens emitted (after stopwords)
    std::uint64_t stopwords = 0;     ///< tokens removed as stopwords
};

class Analyzer {
public:
    virtual ~Analyzer() = default;
    /// The name stored in the index manifest ("english").
    [[nodiscard]] virtual std::string_view name() const = 0;
    /// Appends the terms of `text` to `out`, in order (repeats kept).
    virtual void analyze(std::string_view text, std::vector<std::string>& out) = 0;
    [[nodiscard]] const AnalyzerStats& stats() const { return stats_; }

protected:
    AnalyzerStats stats_;
};

/// Names accepted by make_analyzer, comma-separated (for error messages).
[[nodiscard]] std::string analyzer_names();
/// Creates the analyzer called `name`; throws InvalidArgument listing the valid names.
[[nodiscard]] std::unique_ptr<Analyzer> make_analyzer(std::string_view name);

/// Lucene's EnglishAnalyzer.ENGLISH_STOP_WORDS_SET membership (lowercase input).
[[nodiscard]] bool is_english_stopword(std::string_view word);

}  // namespace spindle::text
