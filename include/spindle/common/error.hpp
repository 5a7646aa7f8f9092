#pragma once
// The library's exception hierarchy. Every error that can reach a user names
// the file, line or value it is about; internal invariants use assert().
#include <stdexcept>
#include <string>

namespace spindle {

/// Base of every exception thrown across the library boundary.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A caller-supplied value is out of range or malformed (options, k, alpha...).
class InvalidArgument : public Error {
public:
    using Error::Error;
};

/// An input collection or query file is malformed (bad JSON, NaN weight...).
class ParseError : public Error {
public:
    using Error::Error;
};

/// The operating system refused an I/O operation.
class IoError : public Error {
public:
    using Error::Error;
};

/// An index file is truncated, has a bad checksum or inconsistent contents.
class CorruptIndex : public Error {
public:
    using Error::Error;
};

/// An index file was written by another (older or newer) format version.
class IncompatibleVersion : public Error {
public:
    using Error::Error;
};

/// Throws IoError with strerror(errno) appended: "<what>: <strerror>".
[[noreturn]] void throw_errno(const std::string& what);

}  // namespace spindle
