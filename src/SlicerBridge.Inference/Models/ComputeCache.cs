namespace SlicerBridge.Inference.Models;

/// <summary>Something a <see cref="ComputeCache{T}"/> can hold: it knows how many bytes it keeps.</summary>
public interface ICachedValue
{
    long SizeBytes { get; }
}

/// <summary>
/// Expensive per-volume results (an image embedding of a crop, the features of a patch) by key, shared by every session and client of one model,
/// bounded by bytes, least recently used evicted first. Concurrent requests for the same key compute it once: later
/// callers wait for the first instead of running the encoder again; if the first is cancelled, a waiter computes it.
/// </summary>
public sealed class ComputeCache<T>(long budgetBytes) where T : class, ICachedValue
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _clock;

    public long BudgetBytes { get; } = budgetBytes;

    public long UsedBytes
    {
        get { lock (_gate) return Completed().Sum(e => e.Value.Value.Result.SizeBytes); }
    }

    public int Count { get { lock (_gate) return _entries.Count; } }

    /// <summary>Returns the cached value or computes it; <c>Hit</c> tells whether <paramref name="compute"/> was skipped.</summary>
    public (T Value, bool Hit) GetOrCompute(string key, Func<T> compute)
    {
        ArgumentNullException.ThrowIfNull(compute);
        Entry entry;
        bool owner = false;
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out entry!))
            {
                entry = new Entry();
                _entries[key] = entry;
                owner = true;
            }
            entry.LastUse = ++_clock;
        }
        if (!owner)
        {
            try { return (entry.Value.GetAwaiter().GetResult(), true); }
            catch (OperationCanceledException) { return GetOrCompute(key, compute); }
        }
        try
        {
            var value = compute();
            entry.Complete(value);
            lock (_gate) Evict();
            return (value, false);
        }
        catch (Exception ex)
        {
            lock (_gate) _entries.Remove(key);
            entry.Fail(ex);
            throw;
        }
    }

    private IEnumerable<KeyValuePair<string, Entry>> Completed() => _entries.Where(kv => kv.Value.Value.IsCompletedSuccessfully);

    private void Evict()
    {
        long used = Completed().Sum(e => e.Value.Value.Result.SizeBytes);
        foreach (var (key, e) in Completed().OrderBy(kv => kv.Value.LastUse).ToList())
        {
            if (used <= BudgetBytes) break;
            _entries.Remove(key);
            used -= e.Value.Result.SizeBytes;
        }
    }

    private sealed class Entry
    {
        private readonly TaskCompletionSource<T> _source = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Task<T> Value => _source.Task;
        public long LastUse;
        public void Complete(T value) => _source.TrySetResult(value);
        public void Fail(Exception ex)
        {
            if (ex is OperationCanceledException) _source.TrySetCanceled();
            else _source.TrySetException(ex);
        }
    }
}
