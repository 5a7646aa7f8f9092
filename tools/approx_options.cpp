#include "approx_options.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "spindle/common/error.hpp"

namespace spindle::cli {

void add_approx_build_options(CLI::App* cmd, ApproxBuildArgs& args, const std::string& implies) {
    // Help defaults come from approx_build_options(), where they are defined.
    const ApproxOptions d = approx_build_options(ApproxBuildArgs{});
    cmd->add_option("--approx-lambda", args.lambda,
                    fmt::format("approx: postings kept per term, the highest weights, in every segment (default: scaled "
                                "with each segment, max({}, {:g} x its documents) capped at {}{}: i.e. 400 up to 1M "
                                "documents, 3,537 at 8.8M). Too small a budget caps the recall any query setting reaches "
                                "(spindle tune says so); clustering a list costs about its length x its number of "
                                "blocks, so larger values build slower",
                                d.lambda, d.lambda_per_doc, d.lambda_max, implies));
    cmd->add_option("--approx-block-size", args.block_size,
                    "approx: average documents per block of similar documents (default " + std::to_string(d.block_size) +
                        implies + ")");
    cmd->add_option("--approx-alpha", args.alpha,
                    "approx: fraction of a block summary's mass kept, in (0, 1] (default " + fmt::format("{:g}", d.alpha_mass) +
                        implies + ")");
    cmd->add_option("--approx-knn", args.knn,
                    "approx: neighbours per document in the kNN graph that search --knn uses, 0 for none (default " +
                        std::to_string(d.knn_k) +
                        implies + "); built with one approximate search per document");
}

ApproxOptions approx_build_options(const ApproxBuildArgs& a) {
    ApproxOptions o;
    // CLI defaults, measured on 1M generated documents and 300k topical ones
    // (docs/BENCHMARKS.md, "recall 0.99 reachable"): a per-term budget that
    // grows with the segment, so that recall@10 0.99 stays reachable (a fixed
    // 400 capped it at 0.972 on 1M documents with real queries).
    o.lambda = kDefaultLambdaFloor;
    o.lambda_per_doc = kDefaultLambdaPerDoc;
    o.lambda_max = kDefaultLambdaMax;
    o.block_size = 8;
    o.alpha_mass = 0.35;
    o.knn_k = 10;
    if (a.lambda) {
        if (*a.lambda < 1 || *a.lambda > 0xFFFFFFFFLL) {
            throw InvalidArgument("--approx-lambda must be in [1, 4294967295] (4294967295 keeps every posting), got " +
                                  std::to_string(*a.lambda));
        }
        o.lambda = static_cast<std::uint32_t>(*a.lambda);  // an explicit budget: the same for every segment
        o.lambda_per_doc = 0.0;
        o.lambda_max = 0;
    }
    if (a.block_size) {
        if (*a.block_size < 1 || *a.block_size > 0xFFFFFFFFLL) {
            throw InvalidArgument("--approx-block-size must be at least 1, got " + std::to_string(*a.block_size));
        }
        o.block_size = static_cast<std::uint32_t>(*a.block_size);
    }
    if (a.alpha) {
        if (!(*a.alpha > 0.0 && *a.alpha <= 1.0)) {
            throw InvalidArgument("--approx-alpha must be in (0, 1], got " + std::to_string(*a.alpha));
        }
        o.alpha_mass = *a.alpha;
    }
    if (a.knn) {
        if (*a.knn < 0 || *a.knn > 1024) throw InvalidArgument("--approx-knn must be in [0, 1024], got " + std::to_string(*a.knn));
        o.knn_k = static_cast<std::uint32_t>(*a.knn);
    }
    o.validate();
    return o;
}

std::string describe_lambda(const Manifest& m) {
    if (!m.approx) return "no approximate structures";
    const ApproxOptions& a = *m.approx;
    if (!(a.lambda_per_doc > 0.0) || a.lambda == 0) return a.describe_lambda();
    std::uint32_t lo = 0, hi = 0;
    for (const auto& s : m.segments) {
        const std::uint32_t l = a.lambda_for(s.docs);
        lo = (lo == 0) ? l : std::min(lo, l);
        hi = std::max(hi, l);
    }
    const std::string used = lo == hi ? std::to_string(hi) : fmt::format("{}-{}", lo, hi);
    return fmt::format("lambda {} ({})", used, a.describe_lambda().substr(7));
}

}  // namespace spindle::cli
