// spindle._spindle: the Python binding, a thin surface over the library
// (spindle/collection/collection.hpp is the API). The pure-Python package
// python/spindle/ normalizes arguments (scipy matrices, dicts, JSON) and
// calls the functions here.
//
// Rules kept by every function below:
//  - the GIL is released while the library searches, builds or writes;
//  - long loops (batches, builds) check for signals between chunks, with the
//    GIL taken back briefly, and raise KeyboardInterrupt; builds write to a
//    staging directory, so an interrupted build leaves nothing behind;
//  - library exceptions become spindle.<Class> with the library's message.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "spindle/build/index_builder.hpp"
#include "spindle/collection/collection.hpp"
#include "spindle/collection/filter.hpp"
#include "spindle/common/error.hpp"
#include "spindle/common/types.hpp"
#include "spindle/eval/evaluate.hpp"
#include "spindle/eval/qrels.hpp"
#include "spindle/eval/run.hpp"
#include "spindle/formats/input_format.hpp"
#include "spindle/formats/raw_record.hpp"
#include "spindle/index/collection_manifest.hpp"
#include "spindle/index/payload_index.hpp"
#include "spindle/index/reorder.hpp"
#include "spindle/query/algorithm.hpp"
#include "spindle/query/approx_settings.hpp"
#include "spindle/query/approx_tuning.hpp"
#include "spindle/query/searcher.hpp"
#include "spindle/text/bm25.hpp"
#include "spindle/text/analyzer.hpp"
#include "spindle/text/collection_reader.hpp"
#include "spindle/text/query_reader.hpp"
#include "spindle/text/text_index_builder.hpp"

namespace py = pybind11;
using namespace spindle;

namespace {

// ---------------------------------------------------------------- signals

/// Called without the GIL: takes it, runs Python's signal handlers (SIGINT
/// raises KeyboardInterrupt there) and throws the pending exception.
void check_signals_nogil() {
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
}
void check_signals_gil() {
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
}

constexpr std::size_t kSignalEvery = 4096;  ///< records between signal checks in builds

// ---------------------------------------------------------------- CSR input

/// A read-only view of a 1-D integer numpy array, int32 or int64; other
/// dtypes (or non-contiguous arrays) are converted once to int64.
struct IntView {
    const void* p = nullptr;
    bool wide = false;
    std::size_t n = 0;
    bool copied = false;
    py::object keep;
    [[nodiscard]] std::int64_t operator[](std::size_t i) const {
        return wide ? static_cast<const std::int64_t*>(p)[i] : static_cast<const std::int32_t*>(p)[i];
    }
};
struct FloatView {
    const void* p = nullptr;
    bool dbl = false;
    std::size_t n = 0;
    bool copied = false;
    py::object keep;
    [[nodiscard]] double operator[](std::size_t i) const {
        return dbl ? static_cast<const double*>(p)[i] : static_cast<double>(static_cast<const float*>(p)[i]);
    }
};

bool contiguous_1d(const py::array& a) {
    return a.ndim() == 1 && (a.flags() & py::array::c_style) != 0;
}

IntView int_view(const py::handle& obj, const char* what) {
    IntView v;
    py::array a = py::array::ensure(obj);
    if (!a) throw InvalidArgument(std::string(what) + ": expected a 1-D integer array");
    if (contiguous_1d(a) && a.dtype().equal(py::dtype::of<std::int32_t>())) {
        v.p = a.data();
    } else if (contiguous_1d(a) && a.dtype().equal(py::dtype::of<std::int64_t>())) {
        v.p = a.data();
        v.wide = true;
    } else {
        if (a.dtype().kind() != 'i' && a.dtype().kind() != 'u') {
            throw InvalidArgument(std::string(what) + ": expected integers, got dtype " +
                                  std::string(py::str(a.dtype())));
        }
        auto c = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>::ensure(a);
        if (!c || c.ndim() != 1) throw InvalidArgument(std::string(what) + ": expected a 1-D integer array");
        a = c;
        v.p = a.data();
        v.wide = true;
        v.copied = true;
    }
    v.n = static_cast<std::size_t>(a.size());
    v.keep = a;
    return v;
}

FloatView float_view(const py::handle& obj, const char* what) {
    FloatView v;
    py::array a = py::array::ensure(obj);
    if (!a) throw InvalidArgument(std::string(what) + ": expected a 1-D numeric array");
    if (contiguous_1d(a) && a.dtype().equal(py::dtype::of<float>())) {
        v.p = a.data();
    } else if (contiguous_1d(a) && a.dtype().equal(py::dtype::of<double>())) {
        v.p = a.data();
        v.dbl = true;
    } else {
        const char k = a.dtype().kind();
        if (k != 'f' && k != 'i' && k != 'u' && k != 'b') {
            throw InvalidArgument(std::string(what) + ": expected numbers, got dtype " + std::string(py::str(a.dtype())));
        }
        auto c = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(a);
        if (!c || c.ndim() != 1) throw InvalidArgument(std::string(what) + ": expected a 1-D numeric array");
        a = c;
        v.p = a.data();
        v.dbl = true;
        v.copied = true;
    }
    v.n = static_cast<std::size_t>(a.size());
    v.keep = a;
    return v;
}

/// A CSR matrix read from scipy's three arrays (see spindle/_convert.py),
/// validated once: indptr starts at 0, never decreases and ends within
/// indices; column indices in [0, cols).
struct Csr {
    IntView indptr, indices;
    FloatView data;
    std::size_t rows = 0, cols = 0;
    std::vector<std::string> vocab;  ///< column names for token-keyed vectors (empty: decimal numbers)

    [[nodiscard]] std::size_t begin(std::size_t r) const { return static_cast<std::size_t>(indptr[r]); }
    [[nodiscard]] std::size_t end(std::size_t r) const { return static_cast<std::size_t>(indptr[r + 1]); }

    void validate() const {
        if (indptr.n != rows + 1) {
            throw InvalidArgument("CSR: indptr has " + std::to_string(indptr.n) + " entries for " +
                                  std::to_string(rows) + " rows (expected rows + 1)");
        }
        if (indices.n != data.n) {
            throw InvalidArgument("CSR: " + std::to_string(indices.n) + " indices but " + std::to_string(data.n) +
                                  " values");
        }
        if (indptr[0] != 0) throw InvalidArgument("CSR: indptr must start at 0");
        for (std::size_t r = 0; r < rows; ++r) {
            if (indptr[r + 1] < indptr[r]) throw InvalidArgument("CSR: indptr decreases at row " + std::to_string(r));
        }
        if (static_cast<std::size_t>(indptr[rows]) > indices.n) {
            throw InvalidArgument("CSR: indptr ends at " + std::to_string(indptr[rows]) + " but there are " +
                                  std::to_string(indices.n) + " indices");
        }
        const std::int64_t limit = std::min<std::int64_t>(static_cast<std::int64_t>(cols), std::int64_t{1} << 32);
        for (std::size_t i = 0; i < indices.n; ++i) {
            if (indices[i] < 0 || indices[i] >= limit) {
                throw InvalidArgument("CSR: column index " + std::to_string(indices[i]) + " at position " +
                                      std::to_string(i) + " is outside [0, " + std::to_string(limit) + ")");
            }
        }
        if (!vocab.empty() && vocab.size() < cols) {
            throw InvalidArgument("CSR: vocabulary names " + std::to_string(vocab.size()) + " columns but the matrix has " +
                                  std::to_string(cols));
        }
    }

    /// Row r as a sparse vector keyed as the vector is (no GIL needed).
    void row(std::size_t r, VectorKeys keys, SparseVector& out) const {
        out = {};
        const std::size_t b = begin(r), e = end(r);
        out.values.reserve(e - b);
        if (keys == VectorKeys::indices) out.indices.reserve(e - b); else out.tokens.reserve(e - b);
        for (std::size_t i = b; i < e; ++i) {
            const auto col = static_cast<std::uint32_t>(indices[i]);
            if (keys == VectorKeys::indices) {
                out.indices.push_back(col);
            } else {
                out.tokens.push_back(vocab.empty() ? std::to_string(col) : vocab[col]);
            }
            out.values.push_back(static_cast<float>(data[i]));
        }
    }
};

/// ("csr", indptr, indices, data, rows, cols, vocab-or-None), as spindle/_convert.py makes it.
bool is_csr(const py::handle& h) {
    if (!py::isinstance<py::tuple>(h)) return false;
    const auto t = py::reinterpret_borrow<py::tuple>(h);
    return t.size() == 7 && py::isinstance<py::str>(t[0]) && t[0].cast<std::string>() == "csr";
}

Csr to_csr(const py::handle& h) {
    const auto t = py::reinterpret_borrow<py::tuple>(h);
    Csr c;
    c.indptr = int_view(t[1], "CSR indptr");
    c.indices = int_view(t[2], "CSR indices");
    c.data = float_view(t[3], "CSR data");
    c.rows = t[4].cast<std::size_t>();
    c.cols = t[5].cast<std::size_t>();
    if (!t[6].is_none()) c.vocab = t[6].cast<std::vector<std::string>>();
    return c;
}

// ---------------------------------------------------------------- ids, vectors

PointId to_point_id(const py::handle& h) {
    if (py::isinstance<py::bool_>(h)) throw InvalidArgument("point id: expected an integer or a string, got a bool");
    if (py::isinstance<py::str>(h)) return PointId::key(h.cast<std::string>());
    if (py::hasattr(h, "__index__")) {
        const py::int_ i = py::reinterpret_steal<py::int_>(PyNumber_Index(h.ptr()));
        if (!i) throw py::error_already_set();
        if (PyObject_RichCompareBool(i.ptr(), py::int_(0).ptr(), Py_LT) == 1) {
            throw InvalidArgument("point id " + std::string(py::str(h)) + ": must be >= 0 (an unsigned 64-bit integer)");
        }
        const unsigned long long v = PyLong_AsUnsignedLongLong(i.ptr());
        if (PyErr_Occurred()) {
            PyErr_Clear();
            throw InvalidArgument("point id " + std::string(py::str(h)) + ": does not fit in 64 bits");
        }
        return PointId(static_cast<std::uint64_t>(v));
    }
    throw InvalidArgument("point id: expected an integer or a string, got " +
                          std::string(py::str(py::type::handle_of(h).attr("__name__"))));
}

std::vector<PointId> to_point_ids(const py::handle& h) {
    std::vector<PointId> ids;
    for (const auto& x : h) ids.push_back(to_point_id(x));
    return ids;
}

py::object from_point_id(const PointId& id) {
    if (id.is_number()) return py::int_(id.number());
    return py::str(id.str());
}

/// {token: weight} or {index: weight} (ints: indices, strings: tokens).
SparseVector dict_vector(const py::handle& h, const char* where) {
    if (!py::isinstance<py::dict>(h)) {
        throw InvalidArgument(std::string(where) + ": expected a {token: weight} dict, got " +
                              std::string(py::str(py::type::handle_of(h).attr("__name__"))));
    }
    SparseVector v;
    for (const auto& [k, w] : py::reinterpret_borrow<py::dict>(h)) {
        const double weight = w.cast<double>();
        if (py::isinstance<py::str>(k)) {
            if (!v.indices.empty()) throw InvalidArgument(std::string(where) + ": mixes token and integer keys");
            v.tokens.push_back(k.cast<std::string>());
        } else {
            if (!v.tokens.empty()) throw InvalidArgument(std::string(where) + ": mixes token and integer keys");
            const auto i = k.cast<std::int64_t>();
            if (i < 0 || i > std::numeric_limits<std::uint32_t>::max()) {
                throw InvalidArgument(std::string(where) + ": index " + std::to_string(i) + " outside [0, 2^32)");
            }
            v.indices.push_back(static_cast<std::uint32_t>(i));
        }
        v.values.push_back(static_cast<float>(weight));
    }
    return v;
}

/// A dict keyed by the other kind is converted when it can be: integer keys
/// for a token vector become decimal names; decimal-string keys for an
/// integer vector become indices.
void adapt_keys(SparseVector& v, VectorKeys keys) {
    if (keys == VectorKeys::tokens && !v.indices.empty()) {
        for (auto i : v.indices) v.tokens.push_back(std::to_string(i));
        v.indices.clear();
    }
}

py::dict vector_dict(const SparseVector& v) {
    py::dict d;
    for (std::size_t i = 0; i < v.values.size(); ++i) {
        if (!v.tokens.empty()) {
            d[py::str(v.tokens[i])] = v.values[i];
        } else {
            d[py::int_(v.indices[i])] = v.values[i];
        }
    }
    return d;
}

// ---------------------------------------------------------------- collection handle

/// The Python object: a shared handle so that a search running on another
/// thread keeps the collection alive while close() runs.
class PyCollection {
public:
    explicit PyCollection(std::unique_ptr<Collection> c) : c_(std::move(c)) {}

    [[nodiscard]] std::shared_ptr<Collection> get() const {
        auto c = c_;
        if (!c) throw InvalidArgument("the collection is closed");
        return c;
    }
    void close() {
        std::shared_ptr<Collection> c = std::move(c_);
        if (c) {
            py::gil_scoped_release nogil;
            if (!c->read_only()) c->maintain();
            c.reset();
        }
    }
    [[nodiscard]] bool closed() const { return !c_; }

private:
    std::shared_ptr<Collection> c_;
};

const SparseVectorConfig& vector_config(const Collection& c, std::string& name) {
    const auto& vs = c.config().vectors;
    if (name.empty()) {
        if (vs.size() != 1) {
            std::string names;
            for (const auto& [n, _] : vs) names += (names.empty() ? "" : ", ") + n;
            throw InvalidArgument("the collection has several vectors (" + names + "): name one with vector=");
        }
        name = vs.begin()->first;
    }
    const auto it = vs.find(name);
    if (it == vs.end()) {
        std::string names;
        for (const auto& [n, _] : vs) names += (names.empty() ? "" : ", ") + n;
        throw InvalidArgument("no vector '" + name + "' in the collection (it has: " + names + ")");
    }
    return it->second;
}

std::shared_ptr<const Filter> filter_from(const std::optional<std::string>& json) {
    if (!json) return nullptr;
    return std::make_shared<const Filter>(parse_filter(*json));
}

// ---------------------------------------------------------------- search requests

struct SearchKnobs {
    std::string vector;
    std::size_t k = 10;
    std::size_t offset = 0;
    std::optional<std::string> filter;
    bool exact = false;
    std::optional<std::string> algorithm;
    std::optional<std::size_t> query_cut;
    std::optional<double> heap_factor;
    std::optional<std::size_t> knn;
    double bmp_alpha = 1.0;
    std::optional<double> score_threshold;
    bool with_payload = false;
    std::optional<double> target_recall;
};

SearchRequest base_request(const SearchKnobs& s) {
    SearchRequest r;
    r.vector = s.vector;
    if (s.k == 0) throw InvalidArgument("k must be at least 1, got 0");
    r.k = s.k;
    r.offset = s.offset;
    const bool knobs = s.query_cut || s.heap_factor || s.knn;
    if (s.algorithm) r.algorithm = parse_algorithm(*s.algorithm);
    if (s.exact) {
        if (knobs) throw InvalidArgument("exact=True searches exactly; query_cut, heap_factor and knn apply to approx only");
        if (r.algorithm && *r.algorithm == Algorithm::approx) {
            throw InvalidArgument("exact=True contradicts algorithm='approx'");
        }
        if (!r.algorithm) r.algorithm = Algorithm::exhaustive;
    }
    if (knobs) {
        if (!r.algorithm) r.algorithm = Algorithm::approx;  // the knobs imply it
        if (*r.algorithm != Algorithm::approx) {
            const char* knob = s.query_cut ? "query_cut" : (s.heap_factor ? "heap_factor" : "knn");
            throw InvalidArgument(std::string(knob) + " applies to approximate search only; use algorithm='approx' (or drop it)");
        }
    }
    r.query_cut = s.query_cut;
    r.heap_factor = s.heap_factor;
    r.knn = s.knn;
    r.target_recall = s.target_recall;  // checked against the tuned setting by the library
    r.bmp_alpha = s.bmp_alpha;
    r.score_threshold = s.score_threshold;
    r.with_payload = s.with_payload;
    r.filter = filter_from(s.filter);
    return r;
}

/// One query (a dict, a str for a text vector, or a 1-row CSR) into `r`. GIL held.
void set_query(SearchRequest& r, const py::handle& q, const SparseVectorConfig& v) {
    if (py::isinstance<py::str>(q)) {
        r.text = q.cast<std::string>();
        if (r.text.empty()) r.text = " ";  // an empty text query: no term (not "no text")
        return;
    }
    if (is_csr(q)) {
        const Csr c = to_csr(q);
        c.validate();
        if (c.rows != 1) throw InvalidArgument("query: a CSR query must have one row, got " + std::to_string(c.rows));
        c.row(0, v.keys, r.query);
        return;
    }
    r.query = dict_vector(q, "query");
    adapt_keys(r.query, v.keys);
}

py::tuple result_tuple(const SearchResult& res, bool with_payload) {
    py::list ids, scores;
    py::object payloads = py::none();
    py::list pl;
    for (const auto& p : res.points) {
        ids.append(from_point_id(p.id));
        scores.append(p.score);
        if (with_payload) pl.append(p.payload.empty() ? py::object(py::none()) : py::object(py::str(p.payload)));
    }
    if (with_payload) payloads = pl;
    py::dict extra;
    extra["matched"] = res.matched;
    extra["seconds"] = res.seconds;
    extra["unknown_terms"] = res.unknown_terms;
    extra["algorithm"] = std::string(to_string(res.options.algorithm));
    extra["postings_scored"] = res.stats.postings_scored;
    return py::make_tuple(ids, scores, payloads, extra);
}

/// Searches in chunks on `threads` threads, checking for Ctrl-C between chunks. No GIL.
std::vector<SearchResult> run_batch(const Collection& c, const std::vector<SearchRequest>& reqs, unsigned threads) {
    std::vector<SearchResult> out;
    out.reserve(reqs.size());
    const unsigned t = threads == 0 ? std::max(1U, std::thread::hardware_concurrency()) : threads;
    const std::size_t chunk = std::max<std::size_t>(256, std::size_t{t} * 64);
    for (std::size_t at = 0; at < reqs.size(); at += chunk) {
        const std::size_t n = std::min(chunk, reqs.size() - at);
        auto part = c.search_batch(std::span(reqs).subspan(at, n), t);
        for (auto& r : part) out.push_back(std::move(r));
        check_signals_nogil();
    }
    return out;
}

py::tuple search_one(const PyCollection& h, const py::handle& query, const SearchKnobs& knobs) {
    const auto c = h.get();
    SearchRequest r = base_request(knobs);
    std::string name = r.vector;
    const auto& v = vector_config(*c, name);
    r.vector = name;
    set_query(r, query, v);
    SearchResult res;
    {
        py::gil_scoped_release nogil;
        res = c->search(r);
    }
    return result_tuple(res, knobs.with_payload);
}

py::tuple pack_results(const std::vector<SearchResult>& res, std::size_t k, bool scores_f32);

/// (ids, scores) arrays of shape (n, k): int64 ids padded with -1 (an object
/// array padded with None when an id is a string), scores padded with -inf.
py::tuple search_many(const PyCollection& h, const py::handle& queries, const SearchKnobs& knobs, unsigned threads,
                      bool scores_f32) {
    const auto c = h.get();
    SearchRequest base = base_request(knobs);
    std::string name = base.vector;
    const auto& v = vector_config(*c, name);
    std::vector<SearchRequest> reqs;
    std::vector<SearchResult> res;
    if (is_csr(queries)) {
        const Csr q = to_csr(queries);
        py::gil_scoped_release nogil;
        q.validate();
        reqs.assign(q.rows, base);
        for (std::size_t i = 0; i < q.rows; ++i) {
            reqs[i].vector = name;
            q.row(i, v.keys, reqs[i].query);
        }
        res = run_batch(*c, reqs, threads);
    } else {
        for (const auto& q : queries) {
            reqs.push_back(base);
            reqs.back().vector = name;
            set_query(reqs.back(), q, v);
        }
        py::gil_scoped_release nogil;
        res = run_batch(*c, reqs, threads);
    }
    return pack_results(res, knobs.k, scores_f32);
}

/// (ids, scores) arrays of shape (n, k) from `res` (see search_many); scores
/// of an ascending (Euclid) search are padded with +inf.
py::tuple pack_results(const std::vector<SearchResult>& res, std::size_t k, bool scores_f32) {
    const std::size_t n = res.size();
    bool strings = false;
    for (const auto& r : res) {
        for (const auto& p : r.points) strings = strings || !p.id.is_number();
    }
    py::array scores = scores_f32 ? py::array(py::array_t<float>({n, k})) : py::array(py::array_t<double>({n, k}));
    py::object ids;
    if (!strings) {
        py::array_t<std::int64_t> a({n, k});
        auto* out = a.mutable_data();
        std::fill(out, out + n * k, -1);
        for (std::size_t i = 0; i < n; ++i) {
            for (std::size_t j = 0; j < res[i].points.size() && j < k; ++j) {
                out[i * k + j] = static_cast<std::int64_t>(res[i].points[j].id.number());
            }
        }
        ids = a;
    } else {
        py::array a(py::dtype("O"), {n, k});
        auto* out = static_cast<PyObject**>(a.mutable_data());
        for (std::size_t i = 0; i < n * k; ++i) {
            Py_INCREF(Py_None);
            out[i] = Py_None;
        }
        for (std::size_t i = 0; i < n; ++i) {
            for (std::size_t j = 0; j < res[i].points.size() && j < k; ++j) {
                py::object o = from_point_id(res[i].points[j].id);
                Py_DECREF(out[i * k + j]);
                out[i * k + j] = o.release().ptr();
            }
        }
        ids = a;
    }
    const bool ascending = !res.empty() && res.front().ascending;
    const double ninf = (ascending ? 1.0 : -1.0) * std::numeric_limits<double>::infinity();
    if (scores_f32) {
        auto* out = static_cast<float*>(scores.mutable_data());
        std::fill(out, out + n * k, static_cast<float>(ninf));
        for (std::size_t i = 0; i < n; ++i) {
            for (std::size_t j = 0; j < res[i].points.size() && j < k; ++j) {
                out[i * k + j] = static_cast<float>(res[i].points[j].score);
            }
        }
    } else {
        auto* out = static_cast<double*>(scores.mutable_data());
        std::fill(out, out + n * k, ninf);
        for (std::size_t i = 0; i < n; ++i) {
            for (std::size_t j = 0; j < res[i].points.size() && j < k; ++j) out[i * k + j] = res[i].points[j].score;
        }
    }
    return py::make_tuple(ids, scores);
}

// ---------------------------------------------------------------- query trees

/// A fusion as the package normalizes it: {"method", "k", "weights", "alpha", "normalization"}. GIL held.
FusionParams fusion_from(const py::dict& f) {
    FusionParams p;
    p.method = parse_fusion_method(f["method"].cast<std::string>());
    if (f.contains("k") && !f["k"].is_none()) p.rrf_k = f["k"].cast<std::size_t>();
    if (f.contains("weights") && !f["weights"].is_none()) p.weights = f["weights"].cast<std::vector<double>>();
    if (f.contains("alpha") && !f["alpha"].is_none()) p.alpha = f["alpha"].cast<double>();
    if (f.contains("normalization") && !f["normalization"].is_none()) {
        p.normalization = parse_score_normalization(f["normalization"].cast<std::string>());
    }
    return p;
}

/// One node of a query tree as the package normalizes it (see
/// _Searchable.query): {"query", "vector", "limit", "filter",
/// "score_threshold", "fusion", "prefetch", "exact", "algorithm",
/// "query_cut", "heap_factor", "knn", "target_recall", "bmp_alpha"}. GIL held.
using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

/// A dense search request from the common knobs (sparse-only knobs refused by the library).
SearchRequest dense_request(const std::string& vector, std::size_t k, std::size_t offset, const std::optional<std::string>& filter,
                            bool exact, std::optional<std::size_t> ef, std::optional<double> score_threshold, bool with_payload) {
    if (k == 0) throw InvalidArgument("k must be at least 1, got 0");
    SearchRequest r;
    r.vector = vector;
    r.k = k;
    r.offset = offset;
    r.exact = exact;
    r.ef = ef;
    r.score_threshold = score_threshold;
    r.with_payload = with_payload;
    r.filter = filter_from(filter);
    return r;
}

QueryRequest query_node(const Collection& c, const py::dict& d, std::size_t depth, const std::string& path) {
    if (depth > kMaxQueryDepth) {
        throw InvalidArgument("prefetches nest more than " + std::to_string(kMaxQueryDepth) + " levels deep");
    }
    QueryRequest n;
    n.limit = d["limit"].cast<std::size_t>();
    n.score_threshold = d["score_threshold"].cast<std::optional<double>>();
    n.filter = filter_from(d["filter"].cast<std::optional<std::string>>());
    std::size_t i = 0;
    for (const auto& p : d["prefetch"]) {
        const std::string at = (path.empty() ? "" : path + ".") + "prefetch[" + std::to_string(i++) + "]";
        n.prefetch.push_back(query_node(c, p.cast<py::dict>(), depth + 1, at));
    }
    if (!d["fusion"].is_none()) n.fusion = fusion_from(d["fusion"].cast<py::dict>());
    if (!d["query"].is_none() && d.contains("dense") && d["dense"].cast<bool>()) {
        try {
            if (!d["algorithm"].is_none() || !d["query_cut"].is_none() || !d["heap_factor"].is_none() || !d["knn"].is_none() ||
                !d["target_recall"].is_none()) {
                throw InvalidArgument("algorithm, query_cut, heap_factor, knn and target_recall are settings of sparse search");
            }
            SearchRequest r = dense_request(d["vector"].cast<std::string>(), 10, 0, std::nullopt, d["exact"].cast<bool>(),
                                            d["ef"].cast<std::optional<std::size_t>>(), std::nullopt, false);
            const FloatArray a = FloatArray::ensure(d["query"]);
            if (!a || a.ndim() != 1) throw InvalidArgument("a dense query is a 1-D array (or list) of floats");
            r.dense_query.assign(a.data(), a.data() + a.shape(0));
            n.search = std::move(r);
        } catch (const InvalidArgument& e) {
            throw InvalidArgument(path.empty() ? std::string(e.what()) : path + ": " + e.what());
        }
    } else if (!d["query"].is_none()) {
        SearchKnobs knobs;
        knobs.vector = d["vector"].cast<std::string>();
        knobs.exact = d["exact"].cast<bool>();
        knobs.algorithm = d["algorithm"].cast<std::optional<std::string>>();
        knobs.query_cut = d["query_cut"].cast<std::optional<std::size_t>>();
        knobs.heap_factor = d["heap_factor"].cast<std::optional<double>>();
        knobs.knn = d["knn"].cast<std::optional<std::size_t>>();
        knobs.target_recall = d["target_recall"].cast<std::optional<double>>();
        knobs.bmp_alpha = d["bmp_alpha"].cast<double>();
        try {
            SearchRequest r = base_request(knobs);
            std::string name = r.vector;
            const auto& v = vector_config(c, name);
            r.vector = name;
            set_query(r, d["query"], v);
            n.search = std::move(r);
        } catch (const InvalidArgument& e) {
            throw InvalidArgument(path.empty() ? std::string(e.what()) : path + ": " + e.what());
        }
    }
    return n;
}

py::tuple query_tree(const PyCollection& h, const py::dict& tree, std::size_t offset, bool with_payload) {
    const auto c = h.get();
    QueryRequest q = query_node(*c, tree, 0, "");
    q.offset = offset;
    q.with_payload = with_payload;
    QueryResult res;
    {
        py::gil_scoped_release nogil;
        res = c->query(q);
    }
    SearchResult as;
    as.points = std::move(res.points);
    as.seconds = res.seconds;
    as.unknown_terms = res.unknown_terms;
    as.stats = res.stats;
    py::tuple t = result_tuple(as, with_payload);
    py::dict extra = t[3].cast<py::dict>();
    extra["matched"] = py::none();
    extra["algorithm"] = q.fusion ? std::string(to_string(q.fusion->method)) : std::string(q.prefetch.empty() ? "search" : "rescore");
    extra["searches"] = res.searches;
    return t;
}

SearchKnobs knobs_from(const std::string& vector, std::size_t k, std::size_t offset, const std::optional<std::string>& filter,
                       bool exact, const std::optional<std::string>& algorithm, std::optional<std::size_t> query_cut,
                       std::optional<double> heap_factor, std::optional<std::size_t> knn, double bmp_alpha,
                       std::optional<double> score_threshold, bool with_payload, std::optional<double> target_recall) {
    return {vector, k, offset, filter, exact, algorithm, query_cut, heap_factor, knn, bmp_alpha, score_threshold, with_payload,
            target_recall};
}

// ---------------------------------------------------------------- dense vectors

DenseVectorConfig dense_config_from(const std::string& name, const py::dict& d) {
    DenseVectorConfig v;
    for (const auto& [k, val] : d) {
        const auto key = k.cast<std::string>();
        if (key == "dim") v.dim = val.cast<std::uint32_t>();
        else if (key == "distance") v.distance = parse_dense_distance(val.cast<std::string>());
        else if (key == "storage") v.storage = parse_dense_storage(val.cast<std::string>());
        else if (key == "m") v.hnsw.m = val.cast<std::uint32_t>();
        else if (key == "ef_construct") v.hnsw.ef_construct = val.cast<std::uint32_t>();
        else if (key == "min_docs") v.hnsw.min_docs = val.cast<std::uint64_t>();
        else if (key == "ef") v.hnsw.ef = val.cast<std::uint32_t>();
        else throw InvalidArgument("dense vector '" + name + "': unknown setting '" + key + "' (dim, distance, storage, m, ef_construct, min_docs, ef)");
    }
    v.validate(name);
    return v;
}

/// Rows of a 2-D float32 array (read in place; other dtypes converted once)
/// become the dense vector `name` of `points`.
void dense_rows_into(std::vector<Point>& points, const std::string& name, const py::handle& data) {
    const FloatArray a = FloatArray::ensure(data);
    if (!a) throw InvalidArgument("dense vector '" + name + "': expected a 2-D array of floats");
    if (a.ndim() != 2) throw InvalidArgument("dense vector '" + name + "': expected a 2-D array, got " + std::to_string(a.ndim()) + " dimensions");
    const auto rows = static_cast<std::size_t>(a.shape(0));
    const auto dim = static_cast<std::size_t>(a.shape(1));
    if (rows != points.size()) {
        throw InvalidArgument("dense vector '" + name + "': the array has " + std::to_string(rows) + " rows for " +
                              std::to_string(points.size()) + " ids");
    }
    const float* p = a.data();
    py::gil_scoped_release nogil;
    for (std::size_t i = 0; i < rows; ++i) points[i].dense[name].assign(p + i * dim, p + (i + 1) * dim);
}

py::dict point_vectors_dict(const Point& p) {
    py::dict vs;
    for (const auto& [name, sv] : p.vectors) vs[py::str(name)] = vector_dict(sv);
    for (const auto& [name, dv] : p.dense) vs[py::str(name)] = py::array_t<float>(static_cast<py::ssize_t>(dv.size()), dv.data());
    return vs;
}

// ---------------------------------------------------------------- writes

std::vector<Point> points_from(const Collection& c, const py::handle& ids_obj, const py::dict& vectors,
                               const py::object& payloads) {
    std::vector<PointId> ids = to_point_ids(ids_obj);
    std::vector<Point> points(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) points[i].id = std::move(ids[i]);
    for (const auto& [name_obj, data] : vectors) {
        std::string name = name_obj.cast<std::string>();
        const auto& v = vector_config(c, name);
        if (is_csr(data)) {
            const Csr m = to_csr(data);
            if (m.rows != points.size()) {
                throw InvalidArgument("vector '" + name + "': the matrix has " + std::to_string(m.rows) + " rows for " +
                                      std::to_string(points.size()) + " ids");
            }
            py::gil_scoped_release nogil;
            m.validate();
            for (std::size_t i = 0; i < m.rows; ++i) m.row(i, v.keys, points[i].vectors[name]);
        } else {
            const py::sequence seq = py::reinterpret_borrow<py::sequence>(data);
            if (seq.size() != points.size()) {
                throw InvalidArgument("vector '" + name + "': " + std::to_string(seq.size()) + " vectors for " +
                                      std::to_string(points.size()) + " ids");
            }
            for (std::size_t i = 0; i < points.size(); ++i) {
                if (seq[i].is_none()) continue;  // the point leaves this vector out
                SparseVector sv = dict_vector(seq[i], ("vector '" + name + "'").c_str());
                adapt_keys(sv, v.keys);
                points[i].vectors[name] = std::move(sv);
            }
        }
    }
    if (!payloads.is_none()) {
        const py::sequence seq = py::reinterpret_borrow<py::sequence>(payloads);
        if (seq.size() != points.size()) {
            throw InvalidArgument(std::to_string(seq.size()) + " payloads for " + std::to_string(points.size()) + " ids");
        }
        for (std::size_t i = 0; i < points.size(); ++i) {
            if (!seq[i].is_none()) points[i].payload = seq[i].cast<std::string>();
        }
    }
    return points;
}

// ---------------------------------------------------------------- configuration

SparseVectorConfig vector_config_from(const std::string& keys, const std::string& weights, std::uint32_t range_block,
                                      double dense_ranges, const std::optional<py::dict>& approx) {
    SparseVectorConfig v;
    v.keys = parse_vector_keys(keys);
    v.weight_type = parse_weight_type(weights);
    v.range_block = range_block;
    v.dense_ranges = dense_ranges;
    if (approx) {
        ApproxOptions a;
        for (const auto& [k, val] : *approx) {
            const auto key = k.cast<std::string>();
            if (key == "lambda") a.lambda = val.cast<std::uint32_t>();
            else if (key == "block_size") a.block_size = val.cast<std::uint32_t>();
            else if (key == "alpha") a.alpha_mass = val.cast<double>();
            else if (key == "knn") a.knn_k = val.cast<std::uint32_t>();
            else if (key == "seed") a.seed = val.cast<std::uint64_t>();
            else throw InvalidArgument("approx: unknown setting '" + key + "' (lambda, block_size, alpha, knn, seed)");
        }
        a.validate();
        v.approx = a;
    }
    return v;
}

PayloadSchema schema_from(const py::dict& d) {
    PayloadSchema s;
    for (const auto& [k, t] : d) {
        const auto key = k.cast<std::string>();
        check_payload_key(key);
        s.emplace(key, parse_payload_type(t.cast<std::string>()));
    }
    return s;
}

// ---------------------------------------------------------------- static builds

py::dict manifest_summary(const Manifest& m) {
    py::dict d;
    d["docs"] = m.num_docs;
    d["empty_docs"] = m.empty_docs;
    d["terms"] = m.num_terms;
    d["postings"] = m.num_postings;
    d["zero_dropped"] = m.zero_dropped;
    d["clipped"] = m.clipped;
    d["segments"] = m.segments.size();
    d["weights"] = std::string(to_string(m.weight_type));
    d["build_seconds"] = m.build_seconds;
    return d;
}

BuildOptions build_options(const std::string& weights, bool overwrite, std::uint64_t segment_docs,
                           const std::string& reorder, unsigned threads, const std::optional<py::dict>& approx,
                           const py::dict& payload_indexes, std::uint32_t range_block, double dense_ranges) {
    BuildOptions o;
    o.weight_type = parse_weight_type(weights);
    o.overwrite = overwrite;
    if (segment_docs == 0) throw InvalidArgument("segment_docs must be at least 1");
    o.segment_docs = segment_docs;
    o.reorder = parse_reorder(reorder);
    o.range_block = range_block;
    o.dense_ranges = dense_ranges;
    o.bisection.threads = threads > 0 ? threads : std::max(1U, std::thread::hardware_concurrency());
    if (approx) {
        o.approx = vector_config_from("tokens", "u16", 8, 0.125, approx).approx;
        o.approx->threads = threads;
    }
    o.payload_indexes = schema_from(payload_indexes);
    return o;
}

py::dict build_index(const std::string& path, const py::object& source, const py::object& ids_obj,
                     const py::object& payloads_obj, const std::string& weights, const std::string& format,
                     const std::optional<std::string>& vocab_file, bool overwrite, std::uint64_t segment_docs,
                     const std::string& reorder, unsigned threads, const std::optional<py::dict>& approx,
                     const py::dict& payload_indexes, std::uint32_t range_block, double dense_ranges, bool allow_empty) {
    BuildOptions o = build_options(weights, overwrite, segment_docs, reorder, threads, approx, payload_indexes,
                                   range_block, dense_ranges);
    std::optional<IndexBuilder> builder;
    builder.emplace(path, o);
    if (vocab_file) builder->preload_vocabulary(*vocab_file);
    std::vector<std::string> ids;
    if (!ids_obj.is_none()) {
        for (const auto& x : ids_obj) ids.push_back(x.cast<std::string>());
    }
    std::vector<std::string> payloads;
    if (!payloads_obj.is_none()) {
        for (const auto& x : payloads_obj) payloads.push_back(x.is_none() ? std::string() : x.cast<std::string>());
    }
    const std::string where = "<python>";
    Manifest m;
    if (py::isinstance<py::str>(source)) {
        if (!ids.empty() || !payloads.empty()) throw InvalidArgument("ids= and payloads= apply to in-memory input, not to a file");
        const std::string file = source.cast<std::string>();
        const InputFormat f = parse_input_format(format);
        py::gil_scoped_release nogil;
        std::uint64_t n = 0;
        read_records(file, f, [&](const RawRecord& rec) {
            builder->add(rec);
            if (++n % kSignalEvery == 0) check_signals_nogil();
        });
    } else if (is_csr(source)) {
        const Csr c = to_csr(source);
        if (!ids.empty() && ids.size() != c.rows) {
            throw InvalidArgument(std::to_string(ids.size()) + " ids for " + std::to_string(c.rows) + " rows");
        }
        if (!payloads.empty() && payloads.size() != c.rows) {
            throw InvalidArgument(std::to_string(payloads.size()) + " payloads for " + std::to_string(c.rows) + " rows");
        }
        py::gil_scoped_release nogil;
        c.validate();
        RawRecord rec;
        rec.numeric = true;
        rec.file = where;
        std::string id;
        for (std::size_t r = 0; r < c.rows; ++r) {
            id = ids.empty() ? std::to_string(r) : ids[r];
            rec.id = id;
            rec.line = r + 1;
            rec.ids.clear();
            for (std::size_t i = c.begin(r); i < c.end(r); ++i) {
                const double w = c.data[i];
                const float f = std::isfinite(w) && w >= 0 ? static_cast<float>(w)
                                                           : checked_weight(w, std::to_string(c.indices[i]), rec);
                rec.ids.emplace_back(static_cast<termid_t>(c.indices[i]), f);
            }
            rec.payload = payloads.empty() ? std::string() : payloads[r];
            builder->add(rec);
            if ((r + 1) % kSignalEvery == 0) check_signals_nogil();
        }
    } else {
        // A sequence of {token: weight} dicts (GIL held: they are Python objects).
        const py::sequence seq = py::reinterpret_borrow<py::sequence>(source);
        if (!ids.empty() && ids.size() != seq.size()) {
            throw InvalidArgument(std::to_string(ids.size()) + " ids for " + std::to_string(seq.size()) + " vectors");
        }
        RawRecord rec;
        rec.file = where;
        std::string id;
        std::vector<std::string> toks;
        for (std::size_t r = 0; r < seq.size(); ++r) {
            id = ids.empty() ? std::to_string(r) : ids[r];
            rec.id = id;
            rec.line = r + 1;
            const SparseVector v = dict_vector(seq[r], "vector");
            rec.tokens.clear();
            toks = v.tokens;
            for (auto i : v.indices) toks.push_back(std::to_string(i));
            for (std::size_t i = 0; i < toks.size(); ++i) rec.tokens.emplace_back(toks[i], checked_weight(v.values[i], toks[i], rec));
            rec.payload = payloads.empty() ? std::string() : payloads.at(r);
            builder->add(rec);
            if ((r + 1) % kSignalEvery == 0) check_signals_gil();
        }
    }
    if (builder->docs_added() == 0 && !allow_empty) {
        throw InvalidArgument("no document read (pass allow_empty=True to build an empty index)");
    }
    {
        py::gil_scoped_release nogil;
        m = builder->finish();
    }
    return manifest_summary(m);
}

py::dict build_text_index(const std::string& path, const py::object& source, const std::string& analyzer, float k1,
                          float b, const std::string& weights, const std::string& collection_format, bool overwrite,
                          std::uint64_t segment_docs, bool allow_empty) {
    BuildOptions o = build_options(weights, overwrite, segment_docs, "none", 0, std::nullopt, py::dict(), 8, 0.125);
    text::Bm25Params p{k1, b};
    p.validate();
    text::TextIndexBuilder builder(path, o, analyzer, p);
    if (py::isinstance<py::str>(source)) {
        const std::string file = source.cast<std::string>();
        const auto cf = text::parse_collection_format(collection_format);
        py::gil_scoped_release nogil;
        std::uint64_t n = 0;
        text::read_collection(file, cf, [&](const text::TextRecord& r) {
            builder.add(r.id, r.text, r.file, r.line);
            if (++n % kSignalEvery == 0) check_signals_nogil();
        });
    } else {
        std::uint64_t n = 0;
        for (const auto& item : source) {
            ++n;
            std::string id, body;
            if (py::isinstance<py::dict>(item)) {
                const auto d = py::reinterpret_borrow<py::dict>(item);
                if (d.contains("_id")) id = py::str(d["_id"]);
                else if (d.contains("id")) id = py::str(d["id"]);
                else throw InvalidArgument("document " + std::to_string(n) + ": a dict needs an 'id' (or '_id')");
                if (d.contains("title")) body = d["title"].cast<std::string>();
                for (const char* f : {"text", "contents"}) {
                    if (d.contains(f)) body += (body.empty() ? "" : " ") + d[f].cast<std::string>();
                }
            } else {
                const auto t = py::reinterpret_borrow<py::sequence>(item);
                if (t.size() != 2) throw InvalidArgument("document " + std::to_string(n) + ": expected (id, text)");
                id = py::str(t[0]);
                body = t[1].cast<std::string>();
            }
            builder.add(id, body, "<python>", n);
            if (n % kSignalEvery == 0) check_signals_gil();
        }
    }
    if (builder.stats().docs == 0 && !allow_empty) {
        throw InvalidArgument("no document read (pass allow_empty=True to build an empty index)");
    }
    Manifest m;
    {
        py::gil_scoped_release nogil;
        m = builder.finish();
    }
    auto d = manifest_summary(m);
    const auto st = builder.stats();
    d["total_terms"] = st.total_terms;
    d["invalid_utf8"] = st.invalid_utf8;
    if (m.text) d["avgdl"] = m.text->avgdl;
    return d;
}

// ---------------------------------------------------------------- evaluation

eval::Qrels qrels_from(const py::handle& h) {
    if (py::isinstance<py::str>(h)) return eval::read_qrels(h.cast<std::string>());
    eval::Qrels q;
    for (const auto& [qid, docs] : py::reinterpret_borrow<py::dict>(h)) {
        std::map<std::string, long> sorted;
        for (const auto& [doc, rel] : py::reinterpret_borrow<py::dict>(docs)) {
            sorted[std::string(py::str(doc))] = rel.cast<long>();
        }
        auto& j = q.queries[std::string(py::str(qid))];
        for (auto& [d, r] : sorted) j.docs.push_back({d, r});
    }
    return q;
}

eval::Run run_from(const py::handle& h) {
    if (py::isinstance<py::str>(h)) return eval::read_run(h.cast<std::string>());
    eval::Run run;
    run.runid = "spindle";
    for (const auto& [qid, docs] : py::reinterpret_borrow<py::dict>(h)) {
        auto& out = run.queries[std::string(py::str(qid))];
        if (py::isinstance<py::dict>(docs)) {
            for (const auto& [doc, score] : py::reinterpret_borrow<py::dict>(docs)) {
                out.push_back({std::string(py::str(doc)), score.cast<double>()});
            }
        } else {  // a sequence of (docno, score)
            for (const auto& pair : docs) {
                const auto t = py::reinterpret_borrow<py::sequence>(pair);
                out.push_back({std::string(py::str(t[0])), t[1].cast<double>()});
            }
        }
    }
    return run;
}

py::dict evaluate(const py::object& qrels_obj, const py::object& run_obj, const std::vector<std::string>& measures,
                  bool per_query, long relevance_level, std::optional<std::size_t> max_results, bool complete) {
    eval::EvalOptions opts;
    opts.relevance_level = relevance_level;
    if (max_results) opts.max_results = *max_results;
    opts.average_complete = complete;
    opts.validate();
    const auto ms = eval::MeasureSet::parse(measures);
    const auto qrels = qrels_from(qrels_obj);
    const auto run = run_from(run_obj);
    eval::Evaluation e;
    {
        py::gil_scoped_release nogil;
        e = eval::evaluate(qrels, run, ms, opts);
    }
    if (e.num_q == 0) throw InvalidArgument("no query of the run has judgments in the qrels");
    auto value = [&](const eval::ValueInfo& vi, double x) -> py::object {
        if (vi.integer()) return py::int_(static_cast<long long>(std::llround(x)));
        return py::float_(x);
    };
    py::dict all;
    for (std::size_t i = 0; i < e.values.size(); ++i) {
        if (e.values[i].text || e.values[i].aggregate == eval::Aggregate::None) continue;
        all[py::str(e.values[i].name)] = value(e.values[i], e.summary[i]);
    }
    all["num_q"] = e.num_q;
    if (!per_query) return all;
    py::dict out;
    for (const auto& q : e.queries) {
        py::dict d;
        for (std::size_t i = 0; i < e.values.size(); ++i) {
            if (e.values[i].text) {
                if (i < q.texts.size()) d[py::str(e.values[i].name)] = q.texts[i];
            } else {
                d[py::str(e.values[i].name)] = value(e.values[i], q.values[i]);
            }
        }
        out[py::str(q.qid)] = d;
    }
    out["all"] = all;
    return out;
}

// ---------------------------------------------------------------- tune

py::dict tune(const std::string& path, const py::object& queries, const std::string& vector, double target_recall,
              std::size_t k, double held_out, std::uint64_t seed, unsigned runs, bool force, bool dry_run) {
    TuneOptions opts;
    opts.target_recall = target_recall;
    opts.k = k;
    opts.runs = runs;
    opts.validate();
    // Ctrl-C: checked after every recall pass of the sweep and every 64
    // queries of the exact top-k and the held-out check (all on this thread);
    // the sweep writes nothing until it has finished.
    opts.log = [](const std::string&) { check_signals_nogil(); };
    opts.progress = [](std::string_view, std::uint64_t done, std::uint64_t) {
        if (done % 64 == 0) check_signals_nogil();
    };
    // Queries as the index's tokens: integer keys are named by their decimal digits.
    std::vector<TextQuery> qs;
    std::size_t n = 0;
    for (const auto& q : queries) {
        TextQuery t;
        t.id = std::to_string(n++);
        if (!py::isinstance<py::dict>(q)) throw InvalidArgument("tune: queries are {token: weight} dicts");
        for (const auto& [key, w] : py::reinterpret_borrow<py::dict>(q)) {
            t.terms.emplace_back(py::isinstance<py::str>(key) ? key.cast<std::string>() : std::string(py::str(key)),
                                 w.cast<float>());
        }
        qs.push_back(std::move(t));
    }
    if (qs.size() < 2) {
        throw InvalidArgument("tuning needs at least 2 queries (some to tune on, some held out), got " +
                              std::to_string(qs.size()));
    }
    py::gil_scoped_release nogil;
    const auto coll = Collection::open(path, {.read_only = true});
    const auto index = coll->snapshot()->index(vector);
    if (!index->manifest().approx) {
        throw InvalidArgument("index " + path + " has no approximate structures; add them first with spindle build-approx --index " +
                              path);
    }
    const auto [tune_idx, held_idx] = split_queries(qs.size(), held_out, seed);
    std::vector<QueryPlan> tuning, heldout;
    for (std::size_t i : tune_idx) tuning.push_back(plan_query(*index, qs[i]));
    for (std::size_t i : held_idx) heldout.push_back(plan_query(*index, qs[i]));
    const TuneResult r = tune_approx(*index, tuning, heldout, opts);
    const TuneVerdict v = accept_tuning(r, opts, !dry_run, force,
                                        "(more queries, or a larger held_out share), or pass force=True to store the "
                                        "setting anyway");
    if (!dry_run) Collection::open(path)->set_approx_defaults(index->vector(), v.defaults);
    py::gil_scoped_acquire gil;
    py::dict d;
    d["query_cut"] = v.defaults.query_cut;
    d["heap_factor"] = v.defaults.heap_factor;
    d["knn"] = v.defaults.knn;
    d["setting"] = describe_approx(v.defaults);
    d["recall"] = r.points[*r.chosen].recall;
    d["heldout_recall"] = r.heldout_recall;
    d["heldout_mean_ms"] = r.heldout_mean_ms;
    d["settings_tried"] = r.points.size();
    d["stored"] = !dry_run;
    d["note"] = v.note == TuneVerdict::Note::forced ? "forced"
                : v.note == TuneVerdict::Note::below_target ? "below_target" : "";
    return d;
}

// ---------------------------------------------------------------- info

py::dict info_dict(const PyCollection& h) {
    const auto c = h.get();
    CollectionInfo i;
    {
        py::gil_scoped_release nogil;
        i = c->info();
    }
    py::dict d;
    d["path"] = i.path;
    d["read_only"] = i.read_only;
    d["points"] = i.points;
    d["generation"] = i.generation;
    py::list segs;
    for (const auto& s : i.segments) {
        py::dict sd;
        sd["name"] = s.name;
        sd["in_memory"] = s.in_memory;
        sd["origin"] = s.origin;
        sd["docs"] = s.docs;
        sd["deleted"] = s.deleted;
        sd["bytes"] = s.bytes;
        sd["approx"] = s.approx;
        sd["hnsw"] = s.hnsw;
        segs.append(sd);
    }
    d["segments"] = segs;
    d["memory_docs"] = i.memory_docs;
    d["wal_bytes"] = i.wal_bytes;
    d["next_lsn"] = i.next_lsn;
    d["merges_done"] = i.merges_done;
    d["merge_running"] = i.merge_running;
    d["vocabulary_terms"] = i.vocabulary_terms;
    py::dict fc;
    fc["entries"] = i.filter_cache.entries;
    fc["bytes"] = i.filter_cache.bytes;
    fc["hits"] = i.filter_cache.hits;
    fc["misses"] = i.filter_cache.misses;
    d["filter_cache"] = fc;
    py::dict vectors;
    for (const auto& [name, v] : i.manifest.config.vectors) {
        py::dict vd;
        vd["keys"] = std::string(to_string(v.keys));
        vd["weights"] = std::string(to_string(v.weight_type));
        vd["approx"] = v.approx.has_value();
        vd["text"] = v.text.has_value();
        vectors[py::str(name)] = vd;
    }
    d["vectors"] = vectors;
    py::dict dense;
    for (const auto& [name, v] : i.manifest.config.dense) {
        py::dict vd;
        vd["dim"] = v.dim;
        vd["distance"] = std::string(to_string(v.distance));
        vd["storage"] = std::string(to_string(v.storage));
        vd["m"] = v.hnsw.m;
        vd["ef_construct"] = v.hnsw.ef_construct;
        vd["min_docs"] = v.hnsw.min_docs;
        vd["ef"] = v.hnsw.ef;
        dense[py::str(name)] = vd;
    }
    d["dense"] = dense;
    py::dict payload_indexes;
    for (const auto& [field, t] : i.manifest.config.payload_indexes) payload_indexes[py::str(field)] = std::string(to_string(t));
    d["payload_indexes"] = payload_indexes;
    d["manifest_json"] = i.manifest.to_json();
    return d;
}

py::dict csr_view_info(const py::object& csr) {
    const Csr c = to_csr(csr);
    py::dict d;
    d["indptr_copied"] = c.indptr.copied;
    d["indices_copied"] = c.indices.copied;
    d["data_copied"] = c.data.copied;
    d["copied"] = c.indptr.copied || c.indices.copied || c.data.copied;
    d["indices_address"] = reinterpret_cast<std::uintptr_t>(c.indices.p);
    d["data_address"] = reinterpret_cast<std::uintptr_t>(c.data.p);
    d["indptr_address"] = reinterpret_cast<std::uintptr_t>(c.indptr.p);
    return d;
}

}  // namespace

// ---------------------------------------------------------------- text analysis

/// The (id, text) records of a raw-text collection, as spindle index --text reads them.
py::list read_text_collection(const std::string& path, const std::string& format) {
    const auto cf = text::parse_collection_format(format);
    std::vector<std::pair<std::string, std::string>> recs;
    {
        py::gil_scoped_release nogil;
        std::uint64_t n = 0;
        text::read_collection(path, cf, [&](const text::TextRecord& r) {
            recs.emplace_back(std::string(r.id), std::string(r.text));
            if (++n % kSignalEvery == 0) check_signals_nogil();
        });
    }
    py::list out;
    for (auto& [id, t] : recs) out.append(py::make_tuple(py::str(id), py::str(t)));
    return out;
}

/// The (id, text) queries of a raw-text query set, as spindle search reads them.
py::list read_text_queries(const std::string& path, const std::string& format, bool number_queries) {
    const auto qf = text::parse_query_format(format);
    std::vector<text::RawQuery> qs;
    {
        py::gil_scoped_release nogil;
        qs = text::read_text_queries(path, qf, {.number_in_file_order = number_queries});
    }
    py::list out;
    for (auto& q : qs) out.append(py::make_tuple(py::str(q.id), py::str(q.text)));
    return out;
}

/// Each text's index terms, as the analyzer `name` makes them (repeats kept, in order).
std::vector<std::vector<std::string>> analyze_texts(const std::vector<std::string>& texts, const std::string& name) {
    auto a = text::make_analyzer(name);
    std::vector<std::vector<std::string>> out(texts.size());
    py::gil_scoped_release nogil;
    for (std::size_t i = 0; i < texts.size(); ++i) {
        a->analyze(texts[i], out[i]);
        if ((i + 1) % kSignalEvery == 0) check_signals_nogil();
    }
    return out;
}

PYBIND11_MODULE(_spindle, m) {
    m.doc() = "spindle's C++ core (use the spindle package, not this module)";

    // Exceptions: spindle.Error and one class per library class, with the
    // Python built-in a caller would catch as the second base.
    auto make_exc = [&](const char* name, PyObject* bases) {
        PyObject* e = PyErr_NewException((std::string("spindle.") + name).c_str(), bases, nullptr);
        if (e == nullptr) throw py::error_already_set();
        m.add_object(name, py::handle(e));
        return e;
    };
    static PyObject* error = make_exc("Error", PyExc_Exception);
    auto two = [](PyObject* a, PyObject* b) { return py::make_tuple(py::handle(a), py::handle(b)).release().ptr(); };
    static PyObject* invalid = make_exc("InvalidArgument", two(error, PyExc_ValueError));
    static PyObject* parse = make_exc("ParseError", two(error, PyExc_ValueError));
    static PyObject* io = make_exc("IoError", two(error, PyExc_OSError));
    static PyObject* corrupt = make_exc("CorruptIndex", error);
    static PyObject* version = make_exc("IncompatibleVersion", error);
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const InvalidArgument& e) {
            PyErr_SetString(invalid, e.what());
        } catch (const ParseError& e) {
            PyErr_SetString(parse, e.what());
        } catch (const IoError& e) {
            PyErr_SetString(io, e.what());
        } catch (const CorruptIndex& e) {
            PyErr_SetString(corrupt, e.what());
        } catch (const IncompatibleVersion& e) {
            PyErr_SetString(version, e.what());
        } catch (const spindle::Error& e) {
            PyErr_SetString(error, e.what());
        }
    });

    py::class_<PyCollection, std::shared_ptr<PyCollection>>(m, "_Collection")
        .def_static(
            "create",
            [](const std::string& path, const py::dict& vectors, const py::dict& payload_indexes,
               const std::optional<py::dict>& segments, bool background_merges, const py::dict& dense,
               bool background_flush) {
                CollectionConfig cfg;
                for (const auto& [name, v] : dense) {
                    const auto n = name.cast<std::string>();
                    cfg.dense.emplace(n, dense_config_from(n, py::reinterpret_borrow<py::dict>(v)));
                }
                for (const auto& [name, v] : vectors) {
                    const auto d = py::reinterpret_borrow<py::dict>(v);
                    std::optional<py::dict> approx;
                    if (d.contains("approx") && !d["approx"].is_none()) approx = d["approx"].cast<py::dict>();
                    cfg.vectors.emplace(name.cast<std::string>(),
                                        vector_config_from(d["keys"].cast<std::string>(), d["weights"].cast<std::string>(),
                                                           d["range_block"].cast<std::uint32_t>(),
                                                           d["dense_ranges"].cast<double>(), approx));
                }
                cfg.payload_indexes = schema_from(payload_indexes);
                if (segments) {
                    for (const auto& [k, val] : *segments) {
                        const auto key = k.cast<std::string>();
                        auto& s = cfg.segments;
                        if (key == "flush_docs") s.flush_docs = val.cast<std::uint64_t>();
                        else if (key == "merge_factor") s.merge_factor = val.cast<std::uint32_t>();
                        else if (key == "memory_merge_factor") s.memory_merge_factor = val.cast<std::uint32_t>();
                        else if (key == "tier_floor_docs") s.tier_floor_docs = val.cast<std::uint64_t>();
                        else if (key == "max_segment_docs") s.max_segment_docs = val.cast<std::uint64_t>();
                        else if (key == "max_deleted_fraction") s.max_deleted_fraction = val.cast<double>();
                        else if (key == "approx_min_docs") s.approx_min_docs = val.cast<std::uint64_t>();
                        else throw InvalidArgument("segments: unknown setting '" + key + "'");
                    }
                }
                py::gil_scoped_release nogil;
                return std::make_shared<PyCollection>(
                    Collection::create(path, cfg, {.read_only = false, .in_memory = false, .background_merges = background_merges,
                                                   .background_flush = background_flush}));
            },
            py::arg("path"), py::arg("vectors"), py::arg("payload_indexes"), py::arg("segments") = py::none(),
            py::arg("background_merges") = false, py::arg("dense") = py::dict(), py::arg("background_flush") = false)
        .def_static(
            "open",
            [](const std::string& path, bool read_only, bool in_memory, bool background_merges, std::size_t filter_cache_mb,
               bool background_flush) {
                py::gil_scoped_release nogil;
                return std::make_shared<PyCollection>(Collection::open(
                    path, {.read_only = read_only, .in_memory = in_memory, .background_merges = background_merges,
                           .filter_cache_bytes = filter_cache_mb << 20U, .background_flush = background_flush}));
            },
            py::arg("path"), py::arg("read_only") = false, py::arg("in_memory") = false,
            py::arg("background_merges") = false, py::arg("filter_cache_mb") = 64, py::arg("background_flush") = false)
        .def("close", &PyCollection::close)
        .def_property_readonly("closed", &PyCollection::closed)
        .def_property_readonly("read_only", [](const PyCollection& h) { return h.get()->read_only(); })
        .def_property_readonly("path", [](const PyCollection& h) { return h.get()->path(); })
        .def("vector_names",
             [](const PyCollection& h) {
                 std::vector<std::string> n;
                 for (const auto& [k, _] : h.get()->config().vectors) n.push_back(k);
                 return n;
             })
        .def(
            "upsert",
            [](const PyCollection& h, const py::object& ids, const py::dict& vectors, const py::object& payloads, bool wait,
               const py::dict& dense) {
                const auto c = h.get();
                std::vector<Point> pts = points_from(*c, ids, vectors, payloads);
                for (const auto& [name, data] : dense) dense_rows_into(pts, name.cast<std::string>(), data);
                py::gil_scoped_release nogil;
                return c->upsert(pts, {.wait = wait});
            },
            py::arg("ids"), py::arg("vectors"), py::arg("payloads") = py::none(), py::arg("wait") = true,
            py::arg("dense") = py::dict())
        .def(
            "delete_ids",
            [](const PyCollection& h, const py::object& ids, bool wait) {
                const auto c = h.get();
                const auto v = to_point_ids(ids);
                py::gil_scoped_release nogil;
                return c->remove(v, {.wait = wait});
            },
            py::arg("ids"), py::arg("wait") = true)
        .def(
            "delete_filter",
            [](const PyCollection& h, const std::string& filter, bool wait) {
                const auto c = h.get();
                const Filter f = parse_filter(filter);
                py::gil_scoped_release nogil;
                return c->remove(f, {.wait = wait});
            },
            py::arg("filter"), py::arg("wait") = true)
        .def("flush",
             [](const PyCollection& h) {
                 const auto c = h.get();
                 py::gil_scoped_release nogil;
                 c->flush();
             })
        .def(
            "add_tokens",
            [](const PyCollection& h, const std::string& vector, const std::vector<std::string>& tokens) {
                const auto c = h.get();
                py::gil_scoped_release nogil;
                return c->add_tokens(vector, tokens);
            },
            py::arg("vector"), py::arg("tokens"))
        .def(
            "create_payload_index",
            [](const PyCollection& h, const std::string& field, const std::string& type) {
                const auto c = h.get();
                const PayloadType t = parse_payload_type(type);
                py::gil_scoped_release nogil;
                c->add_payload_index(field, t);
            },
            py::arg("field"), py::arg("type"))
        .def(
            "optimize",
            [](const PyCollection& h, std::size_t max_segments) {
                const auto c = h.get();
                py::gil_scoped_release nogil;
                c->optimize(max_segments);
            },
            py::arg("max_segments") = 1)
        .def(
            "count",
            [](const PyCollection& h, const std::optional<std::string>& filter) {
                const auto c = h.get();
                std::optional<Filter> f;
                if (filter) f = parse_filter(*filter);
                py::gil_scoped_release nogil;
                return f ? c->count(*f) : c->count();
            },
            py::arg("filter") = py::none())
        .def(
            "get",
            [](const PyCollection& h, const py::object& ids, bool with_vectors) {
                const auto c = h.get();
                const auto v = to_point_ids(ids);
                std::vector<std::optional<Point>> pts;
                {
                    py::gil_scoped_release nogil;
                    pts = c->get(v, with_vectors);
                }
                py::list out;
                for (const auto& p : pts) {
                    if (!p) {
                        out.append(py::none());
                        continue;
                    }
                    py::dict d;
                    d["id"] = from_point_id(p->id);
                    d["payload"] = p->payload.empty() ? py::object(py::none()) : py::object(py::str(p->payload));
                    if (with_vectors) d["vectors"] = point_vectors_dict(*p);
                    out.append(d);
                }
                return out;
            },
            py::arg("ids"), py::arg("with_vectors") = true)
        .def(
            "scroll",
            [](const PyCollection& h, const py::object& from, std::size_t limit, bool with_vectors) {
                const auto c = h.get();
                std::optional<PointId> start;
                if (!from.is_none()) start = to_point_id(from);
                std::vector<Point> pts;
                {
                    py::gil_scoped_release nogil;
                    pts = c->scroll(start, limit, with_vectors);
                }
                py::list out;
                for (const auto& p : pts) {
                    py::dict d;
                    d["id"] = from_point_id(p.id);
                    d["payload"] = p.payload.empty() ? py::object(py::none()) : py::object(py::str(p.payload));
                    if (with_vectors) d["vectors"] = point_vectors_dict(p);
                    out.append(d);
                }
                return out;
            },
            py::arg("from_id") = py::none(), py::arg("limit") = 100, py::arg("with_vectors") = false)
        .def("info", &info_dict)
        .def("check",
             [](const PyCollection& h) {
                 const auto c = h.get();
                 py::gil_scoped_release nogil;
                 c->check();
             })
        .def("dense_names",
             [](const PyCollection& h) {
                 std::vector<std::string> n;
                 for (const auto& [k, _] : h.get()->config().dense) n.push_back(k);
                 return n;
             })
        .def(
            "search_dense",
            [](const PyCollection& h, const py::object& query, const std::string& vector, std::size_t k, std::size_t offset,
               const std::optional<std::string>& filter, bool exact, std::optional<std::size_t> ef,
               std::optional<double> score_threshold, bool with_payload) {
                const auto c = h.get();
                SearchRequest r = dense_request(vector, k, offset, filter, exact, ef, score_threshold, with_payload);
                const FloatArray a = FloatArray::ensure(query);
                if (!a || a.ndim() != 1) throw InvalidArgument("a dense query is a 1-D array (or list) of floats");
                r.dense_query.assign(a.data(), a.data() + a.shape(0));
                SearchResult res;
                {
                    py::gil_scoped_release nogil;
                    res = c->search(r);
                }
                return result_tuple(res, with_payload);
            },
            py::arg("query"), py::arg("vector") = "", py::arg("k") = 10, py::arg("offset") = 0, py::arg("filter") = py::none(),
            py::arg("exact") = false, py::arg("ef") = py::none(), py::arg("score_threshold") = py::none(),
            py::arg("with_payload") = false)
        .def(
            "search_dense_batch",
            [](const PyCollection& h, const py::object& queries, const std::string& vector, std::size_t k, std::size_t offset,
               const std::optional<std::string>& filter, bool exact, std::optional<std::size_t> ef,
               std::optional<double> score_threshold, unsigned threads, bool scores_f32) {
                const auto c = h.get();
                const SearchRequest base = dense_request(vector, k, offset, filter, exact, ef, score_threshold, false);
                const FloatArray a = FloatArray::ensure(queries);
                if (!a || a.ndim() != 2) throw InvalidArgument("dense queries are a 2-D array of floats (one row per query)");
                const auto n = static_cast<std::size_t>(a.shape(0));
                const auto dim = static_cast<std::size_t>(a.shape(1));
                std::vector<SearchResult> res;
                {
                    py::gil_scoped_release nogil;
                    std::vector<SearchRequest> reqs(n, base);
                    for (std::size_t i = 0; i < n; ++i) reqs[i].dense_query.assign(a.data() + i * dim, a.data() + (i + 1) * dim);
                    res = run_batch(*c, reqs, threads);
                }
                return pack_results(res, k, scores_f32);
            },
            py::arg("queries"), py::arg("vector") = "", py::arg("k") = 10, py::arg("offset") = 0, py::arg("filter") = py::none(),
            py::arg("exact") = false, py::arg("ef") = py::none(), py::arg("score_threshold") = py::none(),
            py::arg("threads") = 0, py::arg("scores_f32") = false)
        .def(
            "search",
            [](const PyCollection& h, const py::object& query, const std::string& vector, std::size_t k,
               std::size_t offset, const std::optional<std::string>& filter, bool exact,
               const std::optional<std::string>& algorithm, std::optional<std::size_t> query_cut,
               std::optional<double> heap_factor, std::optional<std::size_t> knn, double bmp_alpha,
               std::optional<double> score_threshold, bool with_payload, std::optional<double> target_recall) {
                return search_one(h, query,
                                  knobs_from(vector, k, offset, filter, exact, algorithm, query_cut, heap_factor, knn,
                                             bmp_alpha, score_threshold, with_payload, target_recall));
            },
            py::arg("query"), py::arg("vector") = "", py::arg("k") = 10, py::arg("offset") = 0,
            py::arg("filter") = py::none(), py::arg("exact") = false, py::arg("algorithm") = py::none(),
            py::arg("query_cut") = py::none(), py::arg("heap_factor") = py::none(), py::arg("knn") = py::none(),
            py::arg("bmp_alpha") = 1.0, py::arg("score_threshold") = py::none(), py::arg("with_payload") = false,
            py::arg("target_recall") = py::none())
        .def(
            "search_batch",
            [](const PyCollection& h, const py::object& queries, const std::string& vector, std::size_t k,
               std::size_t offset, const std::optional<std::string>& filter, bool exact,
               const std::optional<std::string>& algorithm, std::optional<std::size_t> query_cut,
               std::optional<double> heap_factor, std::optional<std::size_t> knn, double bmp_alpha,
               std::optional<double> score_threshold, unsigned threads, bool scores_f32,
               std::optional<double> target_recall) {
                return search_many(h, queries,
                                   knobs_from(vector, k, offset, filter, exact, algorithm, query_cut, heap_factor, knn,
                                              bmp_alpha, score_threshold, false, target_recall),
                                   threads, scores_f32);
            },
            py::arg("queries"), py::arg("vector") = "", py::arg("k") = 10, py::arg("offset") = 0,
            py::arg("filter") = py::none(), py::arg("exact") = false, py::arg("algorithm") = py::none(),
            py::arg("query_cut") = py::none(), py::arg("heap_factor") = py::none(), py::arg("knn") = py::none(),
            py::arg("bmp_alpha") = 1.0, py::arg("score_threshold") = py::none(), py::arg("threads") = 0,
            py::arg("scores_f32") = false, py::arg("target_recall") = py::none())
        .def("query", &query_tree, py::arg("tree"), py::arg("offset") = 0, py::arg("with_payload") = false);

    py::class_<WriteResult>(m, "WriteResult")
        .def_readonly("lsn", &WriteResult::lsn)
        .def_readonly("applied", &WriteResult::applied)
        .def("__repr__", [](const WriteResult& w) {
            return "WriteResult(lsn=" + std::to_string(w.lsn) + ", applied=" + std::to_string(w.applied) + ")";
        });

    m.def("_build_index", &build_index, py::arg("path"), py::arg("source"), py::arg("ids"), py::arg("payloads"),
          py::arg("weights"), py::arg("format"), py::arg("vocab_file"), py::arg("overwrite"), py::arg("segment_docs"),
          py::arg("reorder"), py::arg("threads"), py::arg("approx"), py::arg("payload_indexes"), py::arg("range_block"),
          py::arg("dense_ranges"), py::arg("allow_empty"));
    m.def("_build_text_index", &build_text_index, py::arg("path"), py::arg("source"), py::arg("analyzer"), py::arg("k1"),
          py::arg("b"), py::arg("weights"), py::arg("collection_format"), py::arg("overwrite"), py::arg("segment_docs"),
          py::arg("allow_empty"));
    m.def("_read_text_collection", &read_text_collection, py::arg("path"), py::arg("format"));
    m.def("_read_text_queries", &read_text_queries, py::arg("path"), py::arg("format"), py::arg("number_queries"));
    m.def("_analyze", &analyze_texts, py::arg("texts"), py::arg("analyzer"));
    m.def("_evaluate", &evaluate, py::arg("qrels"), py::arg("run"), py::arg("measures"), py::arg("per_query"),
          py::arg("relevance_level"), py::arg("max_results"), py::arg("complete"));
    m.def("_tune", &tune, py::arg("path"), py::arg("queries"), py::arg("vector"), py::arg("target_recall"), py::arg("k"),
          py::arg("held_out"), py::arg("seed"), py::arg("runs"), py::arg("force"), py::arg("dry_run"));
    m.def("_csr_view_info", &csr_view_info, py::arg("csr"));
    m.def("_parse_filter", [](const std::string& f) { (void)parse_filter(f); }, py::arg("filter"));
    m.def("_measure_names", [] { return eval::measure_names(); });
}
