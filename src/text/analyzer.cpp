#include "spindle/text/analyzer.hpp"

#include <libstemmer.h>
#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include <array>
#include <string>

#include "spindle/common/error.hpp"

namespace spindle::text {
namespace {

constexpr std::size_t kMaxTokenLength = 255;  // UTF-16 units, StandardTokenizer's default

// Porter's consonant test on lowercase ASCII ('y' is a consonant at the start
// or after a vowel); non-ASCII bytes count as consonants, as in Lucene.
bool is_consonant(std::string_view w, std::size_t i) {
    switch (w[i]) {
        case 'a': case 'e': case 'i': case 'o': case 'u': return false;
        case 'y': return i == 0 || !is_consonant(w, i - 1);
        default: return true;
    }
}

// Porter's measure m of `w`: the number of vowel-run/consonant-run pairs.
int porter_measure(std::string_view w) {
    int m = 0;
    std::size_t i = 0;
    while (i < w.size() && is_consonant(w, i)) ++i;
    while (i < w.size()) {
        while (i < w.size() && !is_consonant(w, i)) ++i;
        if (i == w.size()) break;
        while (i < w.size() && is_consonant(w, i)) ++i;
        ++m;
    }
    return m;
}

// Lucene's PorterStemmer keeps two departures of Porter's reference code from
// the published algorithm that Snowball's "porter" does not: in step 2 "bli"
// becomes "ble" (published: "abli" -> "able") and "logi" becomes "log". Both
// endings can only arise from the word's last letters through steps 1a/1c
// ("-blies", "-bly", "-logies", "-logy" ...), and after the rewrite no later
// step of either stemmer touches the result differently, so rewriting the
// word before Snowball reproduces Lucene's output.
void apply_lucene_departures(std::string& w) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kEndings{{
        {"logies", "log"}, {"logis", "log"}, {"logy", "log"}, {"logi", "log"},
        {"blies", "ble"}, {"blis", "ble"}, {"bly", "ble"}, {"bli", "ble"},
    }};
    for (const auto& [end, repl] : kEndings) {
        if (w.size() <= end.size() || !std::string_view(w).ends_with(end)) continue;
        const std::size_t stem_len = w.size() - end.size();
        // Lucene's step-2 condition: m > 0 for what precedes "logi"/"bli".
        if (porter_measure(std::string_view(w.data(), stem_len)) > 0) w.replace(stem_len, end.size(), repl);
        return;
    }
}

class EnglishAnalyzer final : public Analyzer {
public:
    EnglishAnalyzer() {
        UErrorCode status = U_ZERO_ERROR;
        breaker_ = ubrk_open(UBRK_WORD, "", nullptr, 0, &status);
        if (U_FAILURE(status) || breaker_ == nullptr) {
            throw Error(std::string("ICU word break iterator unavailable: ") + u_errorName(status));
        }
        stemmer_ = sb_stemmer_new("porter", "UTF_8");
        if (stemmer_ == nullptr) {
            ubrk_close(breaker_);
            throw Error("Snowball 'porter' stemmer unavailable (libstemmer)");
        }
    }
    ~EnglishAnalyzer() override {
        sb_stemmer_delete(stemmer_);
        ubrk_close(breaker_);
    }
    EnglishAnalyzer(const EnglishAnalyzer&) = delete;
    EnglishAnalyzer& operator=(const EnglishAnalyzer&) = delete;

    [[nodiscard]] std::string_view name() const override { return "english"; }

    void analyze(std::string_view text, std::vector<std::string>& out) override {
        to_utf16(text);
        if (u16_.empty()) return;
        UErrorCode status = U_ZERO_ERROR;
        ubrk_setText(breaker_, u16_.data(), static_cast<std::int32_t>(u16_.size()), &status);
        if (U_FAILURE(status)) throw Error(std::string("ICU ubrk_setText failed: ") + u_errorName(status));
        std::int32_t start = ubrk_first(breaker_);
        for (std::int32_t end = ubrk_next(breaker_); end != UBRK_DONE; start = end, end = ubrk_next(breaker_)) {
            const std::int32_t rule = ubrk_getRuleStatus(breaker_);
            if (rule < UBRK_WORD_NONE_LIMIT) {  // spaces, punctuation, symbols: dropped unless emoji
                if (is_emoji(start, end)) emit(start, end, out);
                continue;
            }
            if (rule >= UBRK_WORD_KANA && rule < UBRK_WORD_IDEO_LIMIT) {
                split_cjk(start, end, out);
            } else {
                emit_chunked(start, end, out);
            }
        }
    }

private:
    void to_utf16(std::string_view text) {
        // ICU addresses text with int32 offsets.
        if (text.size() >= 0x7FFFFFFFU) {
            throw InvalidArgument("text of " + std::to_string(text.size()) + " bytes is too long to analyze (limit 2 GiB)");
        }
        u16_.resize(text.size() + 1);
        std::int32_t len = 0;
        std::int32_t subs = 0;
        UErrorCode status = U_ZERO_ERROR;
        u_strFromUTF8WithSub(u16_.data(), static_cast<std::int32_t>(u16_.size()), &len, text.data(),
                             static_cast<std::int32_t>(text.size()), 0xFFFD, &subs, &status);
        if (U_FAILURE(status)) throw Error(std::string("UTF-8 conversion failed: ") + u_errorName(status));
        u16_.resize(static_cast<std::size_t>(len));
        stats_.invalid_utf8 += static_cast<std::uint64_t>(subs);
    }

    // StandardTokenizer (Lucene >= 7.4) emits emoji sequences as <EMOJI>
    // tokens; ICU gives them no word status. A segment counts as emoji when it
    // starts with an emoji-presentation character, a regional indicator
    // (flags) or a pictograph followed by the emoji variation selector.
    bool is_emoji(std::int32_t start, std::int32_t end) const {
        std::int32_t i = start;
        UChar32 c = 0;
        U16_NEXT(u16_.data(), i, end, c);
        if (u_hasBinaryProperty(c, UCHAR_EMOJI_PRESENTATION) || u_hasBinaryProperty(c, UCHAR_REGIONAL_INDICATOR)) {
            return true;
        }
        return u_hasBinaryProperty(c, UCHAR_EXTENDED_PICTOGRAPHIC) && i < end && u16_[static_cast<std::size_t>(i)] == 0xFE0F;
    }

    // StandardTokenizer emits each ideograph and each hiragana character as its
    // own token and keeps runs of katakana together; ICU's dictionary-based
    // segmentation groups them differently, so CJK segments are re-split here.
    void split_cjk(std::int32_t start, std::int32_t end, std::vector<std::string>& out) {
        std::int32_t run = -1;
        for (std::int32_t i = start; i < end;) {
            const std::int32_t at = i;
            UChar32 c = 0;
            U16_NEXT(u16_.data(), i, end, c);
            UErrorCode status = U_ZERO_ERROR;
            const bool katakana = uscript_getScript(c, &status) == USCRIPT_KATAKANA || c == 0x30FC;
            if (katakana) {
                if (run < 0) run = at;
                continue;
            }
            if (run >= 0) emit_chunked(run, at, out);
            run = -1;
            emit(at, i, out);
        }
        if (run >= 0) emit_chunked(run, end, out);
    }

    void emit_chunked(std::int32_t start, std::int32_t end, std::vector<std::string>& out) {
        while (end - start > static_cast<std::int32_t>(kMaxTokenLength)) {
            emit(start, start + static_cast<std::int32_t>(kMaxTokenLength), out);
            start += static_cast<std::int32_t>(kMaxTokenLength);
        }
        emit(start, end, out);
    }

    void emit(std::int32_t start, std::int32_t end, std::vector<std::string>& out) {
        // Possessive: trailing apostrophe (', U+2019, U+FF07) + s/S.
        if (end - start >= 2) {
            const UChar a = u16_[static_cast<std::size_t>(end - 2)];
            const UChar s = u16_[static_cast<std::size_t>(end - 1)];
            if ((a == u'\'' || a == 0x2019 || a == 0xFF07) && (s == u's' || s == u'S')) end -= 2;
        }
        if (end <= start) return;
        // Lowercase per code point into UTF-8.
        word_.clear();
        std::size_t chars = 0;
        for (std::int32_t i = start; i < end;) {
            UChar32 c = 0;
            U16_NEXT(u16_.data(), i, end, c);
            append_utf8(word_, u_tolower(c));
            ++chars;
        }
        if (is_english_stopword(word_)) {
            ++stats_.stopwords;
            return;
        }
        ++stats_.tokens;
        if (chars <= 2) {  // Lucene's PorterStemmer leaves words of up to two characters alone
            out.push_back(word_);
            return;
        }
        apply_lucene_departures(word_);
        const sb_symbol* stemmed = sb_stemmer_stem(stemmer_, reinterpret_cast<const sb_symbol*>(word_.data()),
                                                   static_cast<int>(word_.size()));
        if (stemmed == nullptr) throw Error("Snowball stemmer out of memory");
        out.emplace_back(reinterpret_cast<const char*>(stemmed), static_cast<std::size_t>(sb_stemmer_length(stemmer_)));
    }

    static void append_utf8(std::string& s, UChar32 c) {
        const auto u = static_cast<std::uint32_t>(c);
        if (u < 0x80) {
            s.push_back(static_cast<char>(u));
        } else if (u < 0x800) {
            s.push_back(static_cast<char>(0xC0 | (u >> 6)));
            s.push_back(static_cast<char>(0x80 | (u & 0x3F)));
        } else if (u < 0x10000) {
            s.push_back(static_cast<char>(0xE0 | (u >> 12)));
            s.push_back(static_cast<char>(0x80 | ((u >> 6) & 0x3F)));
            s.push_back(static_cast<char>(0x80 | (u & 0x3F)));
        } else {
            s.push_back(static_cast<char>(0xF0 | (u >> 18)));
            s.push_back(static_cast<char>(0x80 | ((u >> 12) & 0x3F)));
            s.push_back(static_cast<char>(0x80 | ((u >> 6) & 0x3F)));
            s.push_back(static_cast<char>(0x80 | (u & 0x3F)));
        }
    }

    UBreakIterator* breaker_ = nullptr;
    sb_stemmer* stemmer_ = nullptr;
    std::vector<UChar> u16_;
    std::string word_;
};

}  // namespace

bool is_english_stopword(std::string_view w) {
    static constexpr std::array<std::string_view, 33> kStop{
        "a",    "an",   "and",  "are",  "as",    "at",    "be",    "but",  "by",   "for",  "if",
        "in",   "into", "is",   "it",   "no",    "not",   "of",    "on",   "or",   "such", "that",
        "the",  "their", "then", "there", "these", "they", "this", "to",   "was",  "will", "with"};
    if (w.size() > 5) return false;
    for (auto s : kStop) {
        if (s == w) return true;
    }
    return false;
}

std::string analyzer_names() { return "english"; }

std::unique_ptr<Analyzer> make_analyzer(std::string_view name) {
    if (name == "english") return std::make_unique<EnglishAnalyzer>();
    throw InvalidArgument("unknown analyzer '" + std::string(name) + "' (valid: " + analyzer_names() + ")");
}

}  // namespace spindle::text
