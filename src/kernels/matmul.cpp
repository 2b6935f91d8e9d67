#include "kernels/matmul.hpp"

#include <algorithm>
#include <atomic>
#include <vector>

#include "dsinfer/cpu_features.hpp"
#include "kernels/dot.hpp"
#include "kernels/float_gemm.hpp"
#include "kernels/matvec.hpp"
#include "kernels/row_dot.hpp"
#include "kernels/row_groups.hpp"

namespace dsinfer::kernels {
namespace {

// Rows per unit of work: enough to amortise the queue, small enough that a handful of
// 1408-row expert matrices still splits evenly over the threads.
constexpr int64_t kRowsPerUnit = 16;
static_assert(kRowsPerUnit % kGroupRows == 0, "a unit must hold whole interleaved groups");
// Tokens per pass over a block of rows: their activations stay in L2 while the rows'
// bytes stay in L1.
constexpr int64_t kTokensPerPass = 64;

bool has_fast_kernel(const Matrix& w) {
  if (w.interleaved) return group_dot(w.dtype) != nullptr;
  return !w.block_scale && row_dot(w.dtype) != nullptr && w.cols % dtype_info(w.dtype).block_size == 0 &&
         (act_format(w.dtype) != ActFormat::q8_256 || w.cols % 256 == 0) &&
         (act_format(w.dtype) != ActFormat::q8_32 || w.cols % 32 == 0);
}

// How a task's rows are computed: looked up once per product, not per 16-row unit (decode
// runs thousands of units per token).
struct Plan {
  bool gemm = false;          // float weights, many tokens: float_gemm.hpp
  bool fast = false;          // an int8 / float kernel for the stored form; else decode + dot
  ActFormat format = ActFormat::f32;
  GroupDot group = nullptr;   // interleaved rows
  GroupPairDot group_pair = nullptr;  // and two groups at once, where the CPU has it
  RowDot kernel = nullptr;
  RowTile tile = nullptr;
  RowExpand expand = nullptr;  // codebook types: rows unpacked once per pass
  RowTile expanded_tile = nullptr;  // and the tile over them
  int64_t rows_per_unit = kRowsPerUnit;
};

Plan plan_for(const MatmulTask& task) {
  const Matrix& w = *task.w;
  Plan p;
  p.gemm = uses_float_gemm(task);
  p.fast = has_fast_kernel(w);
  p.format = p.fast ? act_format(w.dtype) : ActFormat::f32;
  p.group = w.interleaved ? group_dot(w.dtype) : nullptr;
  p.group_pair = p.group ? group_pair_dot(w.dtype) : nullptr;
  p.kernel = p.group ? nullptr : row_dot(w.dtype);
  p.tile = p.group ? nullptr : row_tile(w.dtype);
  p.expand = p.tile ? row_expand(w.dtype) : nullptr;
  p.expanded_tile = p.expand ? expanded_tile() : nullptr;
  p.rows_per_unit = p.gemm ? kGemmRows : kRowsPerUnit;
  return p;
}

void run_rows(const MatmulTask& task, const Plan& plan, int64_t r0, int64_t r1) {
  const Matrix& w = *task.w;
  if (plan.gemm) {
    float_gemm_avx2(task, r0, r1);
    return;
  }
  const ActFormat f = plan.format;
  auto x_row = [&](int64_t i) { return task.rows_of_x ? task.rows_of_x[i] : i; };
  if (!plan.fast) {
    // FP8 with block scales, 2/3-bit k-quants, odd widths: decode the row once, then dot.
    thread_local std::vector<float> buf;
    buf.resize(static_cast<size_t>(w.cols));
    const DotF32 dot = dot_f32();
    for (int64_t r = r0; r < r1; ++r) {
      decode_row(w, r, buf.data());
      for (int64_t i = 0; i < task.n; ++i)
        task.y[i * task.ldy + r] =
            dot(buf.data(), reinterpret_cast<const float*>(task.x->row(f, x_row(i))), w.cols);
    }
    return;
  }
  const std::byte* act[kTokensPerPass];
  float out[std::max(kMaxTileActs * kTileRows, kMaxGroupActs * 2 * kGroupRows)];
  // out holds m tokens' results for the eight rows from r (tiles and groups alike).
  static_assert(kTileRows == kGroupRows);
  auto store_eight_rows = [&](int64_t t, int64_t r, int m) {
    for (int j = 0; j < m; ++j)
      for (int k = 0; k < kTileRows; ++k) task.y[(t + j) * task.ldy + r + k] = out[j * kTileRows + k];
  };
  const GroupDot group = plan.group;
  const RowDot kernel = plan.kernel;
  const RowTile tile = plan.tile;
  for (int64_t t0 = 0; t0 < task.n; t0 += kTokensPerPass) {
    const int64_t t1 = std::min(task.n, t0 + kTokensPerPass);
    // Looked up once per pass, not per row: decode's one token is every row's.
    for (int64_t t = t0; t < t1; ++t) act[t - t0] = task.x->row(f, x_row(t));
    if (group) {
      // Units are whole groups: kRowsPerUnit is a multiple of kGroupRows, and so are the rows.
      int64_t r = r0;
      // Two groups at once only with tokens to share them: decode's one token streams the
      // weights, and two groups' streams side by side measured slower than one after the
      // other (8-layer Q4_K_M: 58-60 against 62-67 tok/s).
      const bool pairs = plan.group_pair && t1 - t0 >= 2;
      for (; pairs && r + 2 * kGroupRows <= r1; r += 2 * kGroupRows)
        for (int64_t t = t0; t < t1; t += kMaxGroupActs) {
          const int m = static_cast<int>(std::min<int64_t>(kMaxGroupActs, t1 - t));
          plan.group_pair(w.row(r), kGroupRows * w.row_bytes, act + (t - t0), m, w.cols, out);
          for (int j = 0; j < m; ++j)
            std::copy(out + j * 2 * kGroupRows, out + (j + 1) * 2 * kGroupRows, task.y + (t + j) * task.ldy + r);
        }
      for (; r < r1; r += kGroupRows)
        for (int64_t t = t0; t < t1; t += kMaxGroupActs) {
          const int m = static_cast<int>(std::min<int64_t>(kMaxGroupActs, t1 - t));
          group(w.row(r), act + (t - t0), m, w.cols, out);
          store_eight_rows(t, r, m);
        }
      continue;
    }
    int64_t r = r0;
    // Tiles only where a pass has two or more tokens. Decode streams the weights from
    // memory once, and eight rows read side by side as eight streams came in at about half
    // the speed of one row after another (measured); with tokens to share each block the
    // tile's saved float work wins.
    const bool tiled = tile && t1 - t0 >= 2;
    // Codebook rows with more tokens than a tile takes: each tile's eight rows are unpacked
    // once (row_dot.hpp) and the expanded tile runs on that copy for every group of tokens.
    const bool expanding = plan.expand && t1 - t0 > kMaxTileActs;
    struct alignas(32) Line {  // the expanded blocks' vectors are read and written aligned
      std::byte b[32];
    };
    static_assert(kExpandedBlockBytes % sizeof(Line) == 0);
    thread_local std::vector<Line> expanded;
    const size_t expanded_row = static_cast<size_t>(w.cols / 256) * kExpandedBlockBytes;
    if (expanding) expanded.resize(kTileRows * expanded_row / sizeof(Line));
    const RowTile pass_tile = expanding ? plan.expanded_tile : tile;
    for (; tiled && r + kTileRows <= r1; r += kTileRows) {
      const std::byte* rows = w.row(r);
      size_t stride = w.row_bytes;
      // The next eight rows (usually this thread's next tile: shares are contiguous) are
      // asked for while this tile's first tokens run; later tokens find this tile cached.
      const std::byte* next = r + 2 * kTileRows <= w.rows ? w.row(r + kTileRows) : nullptr;
      if (expanding) {
        plan.expand(rows, stride, w.cols, expanded.data()->b);
        rows = expanded.data()->b;
        stride = expanded_row;
        next = nullptr;
      }
      for (int64_t t = t0; t < t1; t += kMaxTileActs) {
        const int m = static_cast<int>(std::min<int64_t>(kMaxTileActs, t1 - t));
        pass_tile(rows, stride, t == t0 ? next : nullptr, act + (t - t0), m, w.cols, out);
        store_eight_rows(t, r, m);
      }
    }
    for (; r < r1; ++r) {
      const std::byte* wr = w.row(r);
      for (int64_t t = t0; t < t1; t += kMaxRowDotActs) {
        const int m = static_cast<int>(std::min<int64_t>(kMaxRowDotActs, t1 - t));
        kernel(wr, act + (t - t0), m, w.cols, out);
        for (int j = 0; j < m; ++j) task.y[(t + j) * task.ldy + r] = out[j];
      }
    }
  }
}

}  // namespace

bool uses_float_gemm(const MatmulTask& task) {
  static const bool avx2 = cpu_features().avx2_fma() && cpu_features().f16c;
  const Matrix& w = *task.w;
  return avx2 && task.n >= kGemmMinTokens && !w.interleaved && !w.block_scale &&
         (w.dtype == DType::f32 || w.dtype == DType::f16 || w.dtype == DType::bf16);
}

void matmul(std::span<const MatmulTask> tasks, ThreadPool* pool) {
  int64_t units = 0, work = 0;
  std::vector<int64_t> first_unit(tasks.size() + 1);
  std::vector<Plan> plans(tasks.size());
  for (size_t k = 0; k < tasks.size(); ++k) {
    const MatmulTask& t = tasks[k];
    plans[k] = plan_for(t);
    t.x->prepare(plans[k].format);
    first_unit[k] = units;
    if (t.n > 0) units += (t.w->rows + plans[k].rows_per_unit - 1) / plans[k].rows_per_unit;
    work += t.w->rows * t.w->cols * t.n;
  }
  first_unit[tasks.size()] = units;
  auto do_unit = [&](int64_t u) {
    const size_t k = static_cast<size_t>(std::upper_bound(first_unit.begin(), first_unit.end(), u) - first_unit.begin()) - 1;
    const int64_t r0 = (u - first_unit[k]) * plans[k].rows_per_unit;
    run_rows(tasks[k], plans[k], r0, std::min(tasks[k].w->rows, r0 + plans[k].rows_per_unit));
  };
  // Below ~128K multiply-adds waking the other threads costs more than it saves.
  if (!pool || pool->size() == 1 || work < (1 << 17) || units == 1) {
    for (int64_t u = 0; u < units; ++u) do_unit(u);
    return;
  }
  // Each thread owns a contiguous share of the units and walks it in order, so its weight
  // reads are one stream the hardware prefetcher keeps ahead of; a thread that finishes
  // takes units from the front of the others' shares (a slow or late thread's whole share,
  // if need be). Handing out 16-row units to whoever asks next cost a third of decode's
  // bandwidth: every thread's stream broke every 16 rows (measured, MoE decode layer).
  struct alignas(64) Share {
    std::atomic<int64_t> next;
    int64_t end;
  };
  const int n = pool->size();
  std::vector<Share> shares(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    shares[static_cast<size_t>(i)].next.store(units * i / n, std::memory_order_relaxed);
    shares[static_cast<size_t>(i)].end = units * (i + 1) / n;
  }
  pool->run_shared([&](int index, int) {
    for (int k = 0; k < n; ++k) {
      Share& s = shares[static_cast<size_t>((index + k) % n)];
      for (int64_t u; (u = s.next.fetch_add(1, std::memory_order_relaxed)) < s.end;) do_unit(u);
    }
  });
}

void matmul(const Matrix& w, const float* x, int64_t n, int64_t ldx, float* y, int64_t ldy, ThreadPool* pool) {
  Activations acts(x, n, w.cols, ldx);
  const MatmulTask task{&w, &acts, nullptr, n, y, ldy};
  matmul(std::span<const MatmulTask>(&task, 1), pool);
}

}  // namespace dsinfer::kernels
