// dsinfer bench: prefill and decode speed of a model beside the machine's own limits,
// measured in the same run (memory bandwidth for decode, GEMM throughput for prefill),
// because absolute speeds on shared machines drift from minute to minute.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "dsinfer/half.hpp"
#include "dsinfer/error.hpp"
#include "dsinfer/model.hpp"
#include "roofline.hpp"

namespace cli {
namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Stat {
  double median = 0, min = 0, max = 0;
};

Stat stat(std::vector<double> v) {
  Stat s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  s.median = v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
  s.min = v.front();
  s.max = v.back();
  return s;
}

int32_t argmax(std::span<const float> v) {
  return static_cast<int32_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

// Multiply-adds of attention itself (scores and mixing, not the projections) for tokens
// at positions [from, to).
double attention_macs(const dsinfer::ModelConfig& c, int64_t from, int64_t to) {
  double positions = 0;
  for (int64_t p = from; p < to; ++p) positions += static_cast<double>(p + 1);
  const double per = c.is_dense_arch() ? 2.0 * static_cast<double>(c.head_dim)
                                       : 2.0 * static_cast<double>(c.kv_lora_rank) + static_cast<double>(c.qk_rope_head_dim);
  return static_cast<double>(c.num_hidden_layers) * static_cast<double>(c.num_attention_heads) * per * positions;
}

// Fills a cache with `depth` positions of small random values: decode speed at a long
// context without spending minutes on the prefill that would produce them.
void fill_cache(dsinfer::MlaCache& cache, int64_t depth) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-0.5f, 0.5f);
  const int64_t start = cache.reserve(depth);
  for (int64_t l = 0; l < cache.n_layers(); ++l)
    for (int64_t p = start; p < start + depth; ++p) {
      for (uint16_t& v : cache.latent(l, p)) v = dsinfer::f32_to_f16(u(rng));
      for (uint16_t& v : cache.rope_key(l, p)) v = dsinfer::f32_to_f16(u(rng));
    }
  cache.commit(depth);
}

double decode_run(const dsinfer::Model& model, dsinfer::MlaCache& cache, int32_t first, int64_t n) {
  dsinfer::MoeRouter router = model.new_router();
  std::vector<float> logits(static_cast<size_t>(model.config().vocab_size));
  int32_t next = first;
  const double t0 = now();
  for (int64_t i = 0; i < n; ++i) {
    const int32_t tok[1] = {next};
    model.forward(tok, cache, router, logits, false);
    next = argmax(logits);
  }
  return now() - t0;
}

}  // namespace

int cmd_bench(const std::vector<std::string>& args) {
  std::string path;
  int64_t p = 512, n = 64, depth = 0, chunk = 0;
  int threads = 0, reps = 3;
  bool json = false, keep_rows = false;
  for (size_t i = 0; i < args.size(); ++i) {
    auto number = [&](const char* opt) {
      if (i + 1 >= args.size()) throw UsageError(std::string("bench: ") + opt + " needs a value");
      const std::string v = args[++i];
      char* end = nullptr;
      const long long x = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end || x < 0) throw UsageError(std::string("bench: ") + opt + " needs a count, got '" + v + "'");
      return static_cast<int64_t>(x);
    };
    const std::string& a = args[i];
    if (a == "--model" || a == "-m") {
      if (i + 1 >= args.size()) throw UsageError("bench: --model needs a path");
      path = args[++i];
    } else if (a == "-p") p = number("-p");
    else if (a == "-n") n = number("-n");
    else if (a == "--threads" || a == "-t") threads = static_cast<int>(number("--threads"));
    else if (a == "--reps") reps = static_cast<int>(std::max<int64_t>(1, number("--reps")));
    else if (a == "--depth") depth = number("--depth");
    else if (a == "--chunk") chunk = number("--chunk");
    else if (a == "--json") json = true;
    else if (a == "--no-repack") keep_rows = true;
    else throw UsageError("bench: unknown argument " + a);
  }
  if (path.empty()) throw UsageError("bench: --model PATH is required");
  if (p < 1 || n < 1) throw UsageError("bench: -p and -n must be at least 1");
  auto say = [&](const char* fmt, auto... v) {
    if (!json) std::fprintf(stderr, fmt, v...);
  };

  namespace fs = std::filesystem;
  double warm_s = 0;
  uint64_t file_bytes = 0;
  std::vector<std::string> files;
  if (fs::is_directory(path)) {
    for (const auto& e : fs::directory_iterator(path))
      if (e.path().extension() == ".safetensors") files.push_back(e.path().string());
  } else {
    files.push_back(path);
  }
  for (const auto& f : files) {
    file_bytes += fs::file_size(f);
    warm_s += dsinfer::bench::warm_page_cache(f.c_str());
  }
  say("warmed %.2f GiB of model files into the page cache in %.1f s (so load and first tokens do not time the disk)\n",
      static_cast<double>(file_bytes) / (1 << 30), warm_s);

  dsinfer::LoadOptions lo;
  lo.threads = threads;
  lo.repack = !keep_rows;
  const double t_load = now();
  auto model = dsinfer::Model::load(path, lo);
  const double load_s = now() - t_load;
  const dsinfer::ModelConfig& c = model->config();
  const auto cost = model->token_cost();
  const int nthreads = model->pool().size();
  const auto repack = model->repacking();
  say("loaded %s in %.2f s (%.2f s of it repacking %.2f GiB of weights): %s, %lld layers; one decoded token reads "
      "%.1f MiB of weights (%.2f G multiply-adds)\n",
      path.c_str(), load_s, repack.seconds, static_cast<double>(repack.bytes) / (1 << 30), c.architecture.c_str(),
      static_cast<long long>(c.num_hidden_layers), static_cast<double>(cost.weight_bytes) / (1 << 20),
      static_cast<double>(cost.multiply_adds) / 1e9);

  std::vector<double> bw, gemm, pp, tg, tg_depth;
  size_t rss = 0;
  std::mt19937 rng(1);
  std::uniform_int_distribution<int32_t> tok(0, static_cast<int32_t>(c.vocab_size - 1));
  for (int r = 0; r < reps; ++r) {
    // The limits are measured between the model's runs, so all of them see the same machine.
    bw.push_back(dsinfer::bench::measure_read_bandwidth(model->pool()));
    gemm.push_back(dsinfer::bench::measure_gemm_peak(nthreads));
    std::vector<int32_t> ids(static_cast<size_t>(p));
    for (auto& id : ids) id = tok(rng);
    dsinfer::MlaCache cache = model->new_cache(p + n + 1);
    dsinfer::MoeRouter router = model->new_router();
    std::vector<float> logits(static_cast<size_t>(c.vocab_size));
    const int64_t step = chunk > 0 ? chunk : p;
    const double t0 = now();
    for (int64_t s = 0; s < p; s += step) {
      const int64_t m = std::min(step, p - s);
      model->forward(std::span<const int32_t>(ids.data() + s, static_cast<size_t>(m)), cache, router, logits, false);
    }
    pp.push_back(static_cast<double>(p) / (now() - t0));
    if (r == 0) rss = dsinfer::bench::resident_bytes();
    tg.push_back(static_cast<double>(n) / decode_run(*model, cache, argmax(logits), n));
    if (depth > 0) {
      dsinfer::MlaCache deep = model->new_cache(depth + n + 1);
      fill_cache(deep, depth);
      tg_depth.push_back(static_cast<double>(n) / decode_run(*model, deep, tok(rng), n));
    }
    say("rep %d/%d: read bandwidth %.1f GB/s, sgemm %.0f GFLOP/s | prefill %.2f tok/s | decode %.2f tok/s%s\n", r + 1,
        reps, bw.back(), gemm.back(), pp.back(), tg.back(),
        depth > 0 ? (" | decode at depth " + std::to_string(depth) + ": " + std::to_string(tg_depth.back()) + " tok/s").c_str()
                  : "");
  }
  const Stat sbw = stat(bw), sg = stat(gemm), spp = stat(pp), stg = stat(tg), sdeep = stat(tg_depth);
  const double roofline_tok_s = sbw.median * 1e9 / static_cast<double>(cost.weight_bytes);
  const double decode_fraction = stg.median / roofline_tok_s;
  // A prompt's forward computes logits for its last token only: the output projection
  // (vocab x hidden, counted in every decoded token's cost) is paid once per forward call.
  const int64_t forward_calls = chunk > 0 ? (p + chunk - 1) / chunk : 1;
  const double output_macs = static_cast<double>(c.vocab_size) * static_cast<double>(c.hidden_size);
  const double prefill_flops =
      2.0 * ((static_cast<double>(cost.multiply_adds) - output_macs) * static_cast<double>(p) +
             output_macs * static_cast<double>(forward_calls) + attention_macs(c, 0, p));
  const double prefill_gflops = prefill_flops / (static_cast<double>(p) / spp.median) / 1e9;
  const double prefill_fraction = prefill_gflops / sg.median;

  nlohmann::json j = {
      {"model", path},
      {"architecture", c.architecture},
      {"file_bytes", file_bytes},
      {"threads", nthreads},
      {"reps", reps},
      {"prompt_tokens", p},
      {"gen_tokens", n},
      {"load_seconds", load_s},
      {"repack_seconds", repack.seconds},
      {"repacked_bytes", repack.bytes},
      {"prefill_tok_s", spp.median},
      {"prefill_tok_s_min", spp.min},
      {"prefill_tok_s_max", spp.max},
      {"decode_tok_s", stg.median},
      {"decode_tok_s_min", stg.min},
      {"decode_tok_s_max", stg.max},
      {"read_bandwidth_gbs", sbw.median},
      {"read_bandwidth_gbs_min", sbw.min},
      {"read_bandwidth_gbs_max", sbw.max},
      {"bytes_per_token", cost.weight_bytes},
      {"decode_roofline_tok_s", roofline_tok_s},
      {"decode_roofline_fraction", decode_fraction},
      {"gemm_peak_gflops", sg.median},
      {"prefill_gflops", prefill_gflops},
      {"prefill_gemm_fraction", prefill_fraction},
      {"resident_bytes_after_prefill", rss},
      {"cache_bytes_per_token", model->new_cache(1).bytes_per_token()},
  };
  if (depth > 0) {
    j["decode_depth"] = depth;
    j["decode_tok_s_at_depth"] = sdeep.median;
    j["decode_depth_ratio"] = sdeep.median / stg.median;
  }
  if (json) {
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("model          %s (%s, %.2f GiB, %d threads, %d reps, medians [min-max])\n", path.c_str(),
              c.architecture.c_str(), static_cast<double>(file_bytes) / (1 << 30), nthreads, reps);
  std::printf("prefill        %lld tokens: %.2f tok/s [%.2f-%.2f] = %.1f GFLOP/s, %.0f%% of sgemm peak %.0f GFLOP/s\n",
              static_cast<long long>(p), spp.median, spp.min, spp.max, prefill_gflops, 100 * prefill_fraction, sg.median);
  std::printf("decode         %lld tokens: %.2f tok/s [%.2f-%.2f], %.0f%% of the bandwidth roofline %.2f tok/s\n",
              static_cast<long long>(n), stg.median, stg.min, stg.max, 100 * decode_fraction, roofline_tok_s);
  std::printf("               (%.1f MiB of weights per token / %.1f GB/s read bandwidth [%.1f-%.1f])\n",
              static_cast<double>(cost.weight_bytes) / (1 << 20), sbw.median, sbw.min, sbw.max);
  if (depth > 0)
    std::printf("decode @%-6lld %.2f tok/s = %.0f%% of decode after the %lld-token prompt\n", static_cast<long long>(depth),
                sdeep.median, 100 * sdeep.median / stg.median, static_cast<long long>(p));
  std::printf("memory         %.2f GiB resident after the prompt (file %.2f GiB); cache %lld bytes/token; load %.2f s "
              "(repacking %.2f GiB: %.2f s)\n",
              static_cast<double>(rss) / (1 << 30), static_cast<double>(file_bytes) / (1 << 30),
              static_cast<long long>(model->new_cache(1).bytes_per_token()), load_s,
              static_cast<double>(repack.bytes) / (1 << 30), repack.seconds);
  return 0;
}

}  // namespace cli
