#pragma once
// Compressed bitmaps of docids (deletions, filter allow-sets): CRoaring's C++
// class from Debian's libroaring-dev (0.2.x declares it in the global namespace).
#include <roaring/roaring.hh>

namespace spindle {
using Bitmap = ::Roaring;
}  // namespace spindle
