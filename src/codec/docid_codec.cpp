#include "spindle/codec/docid_codec.hpp"

#include <streamvbyte.h>
#include <streamvbytedelta.h>

namespace spindle::codec {

std::size_t encode_increasing(const std::uint32_t* values, std::uint32_t n, std::uint32_t prev,
                              std::vector<std::uint8_t>& out) {
    const std::size_t at = out.size();
    out.resize(at + streamvbyte_max_compressedbytes(n));
    // streamvbyte_delta_encode takes a non-const input pointer in some versions.
    const std::size_t bytes = streamvbyte_delta_encode(values, n, out.data() + at, prev);
    out.resize(at + bytes);
    return bytes;
}

namespace detail {
std::size_t decode_increasing_portable(const std::uint8_t* in, std::uint32_t* out, std::uint32_t n,
                                       std::uint32_t prev) {
    return streamvbyte_delta_decode(in, out, n, prev);
}
}  // namespace detail

namespace {
using Decoder = std::size_t (*)(const std::uint8_t*, std::uint32_t*, std::uint32_t, std::uint32_t);
Decoder pick_decoder() {
    return detail::ssse3_available() ? &detail::decode_increasing_ssse3 : &detail::decode_increasing_portable;
}
const Decoder kDecoder = pick_decoder();
}  // namespace

std::size_t decode_increasing(const std::uint8_t* in, std::uint32_t* out, std::uint32_t n, std::uint32_t prev) {
    return kDecoder(in, out, n, prev);
}

const char* decoder_name() { return kDecoder == &detail::decode_increasing_portable ? "portable" : "ssse3"; }

}  // namespace spindle::codec
