using System.Collections.Concurrent;
using System.Diagnostics;

namespace SlicerBridge.Inference.Tensors;

/// <summary>
/// Wall time per op kind, for benchmarks (in the manner of ggml's per-op perf counters). Off by default; when off,
/// <see cref="Measure"/> costs one branch.
/// </summary>
public static class OpProfiler
{
    private static readonly ConcurrentDictionary<string, (long Ticks, long Calls)> Totals = new();

    public static bool Enabled { get; set; }

    public static Scope Measure(string op) => new(Enabled ? op : null);

    public static void Reset() => Totals.Clear();

    /// <summary>Op, total milliseconds and call count, slowest first.</summary>
    public static IReadOnlyList<(string Op, double Ms, long Calls)> Snapshot() =>
        Totals.Select(kv => (kv.Key, kv.Value.Ticks * 1000.0 / Stopwatch.Frequency, kv.Value.Calls)).OrderByDescending(x => x.Item2).ToList();

    public readonly struct Scope : IDisposable
    {
        private readonly string? _op;
        private readonly long _start;

        internal Scope(string? op)
        {
            _op = op;
            _start = op is null ? 0 : Stopwatch.GetTimestamp();
        }

        public void Dispose()
        {
            if (_op is null) return;
            long elapsed = Stopwatch.GetTimestamp() - _start;
            Totals.AddOrUpdate(_op, (elapsed, 1), (_, t) => (t.Ticks + elapsed, t.Calls + 1));
        }
    }
}
