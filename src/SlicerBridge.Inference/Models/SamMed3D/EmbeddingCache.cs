namespace SlicerBridge.Inference.Models.SamMed3D;

/// <summary>
/// Image embeddings by (volume content, crop) shared by every session and client of one model, bounded by bytes,
/// least recently used evicted first. Concurrent requests for the same key compute it once: the second caller waits
/// for the first instead of running the encoder again.
/// </summary>
public sealed class EmbeddingCache(long budgetBytes)
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _clock;

    public long BudgetBytes { get; } = budgetBytes;

    public long UsedBytes
    {
        get { lock (_gate) return _entries.Values.Where(e => e.Value.IsCompletedSuccessfully).Sum(e => e.Value.Result.SizeBytes); }
    }

    public int Count { get { lock (_gate) return _entries.Count; } }

    /// <summary>Returns the cached embedding or computes it; <c>Hit</c> tells whether the encoder was skipped.</summary>
    public (SamImageEmbedding Embedding, bool Hit) GetOrCompute(string key, Func<SamImageEmbedding> compute)
    {
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
            catch (OperationCanceledException) { return GetOrCompute(key, compute); } // the owner was cancelled: try ourselves
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

    private void Evict()
    {
        long used = _entries.Values.Where(e => e.Value.IsCompletedSuccessfully).Sum(e => e.Value.Result.SizeBytes);
        foreach (var (key, e) in _entries.Where(kv => kv.Value.Value.IsCompletedSuccessfully).OrderBy(kv => kv.Value.LastUse).ToList())
        {
            if (used <= BudgetBytes) break;
            _entries.Remove(key);
            used -= e.Value.Result.SizeBytes;
        }
    }

    private sealed class Entry
    {
        private readonly TaskCompletionSource<SamImageEmbedding> _source = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Task<SamImageEmbedding> Value => _source.Task;
        public long LastUse;
        public void Complete(SamImageEmbedding value) => _source.TrySetResult(value);
        public void Fail(Exception ex)
        {
            if (ex is OperationCanceledException) _source.TrySetCanceled();
            else _source.TrySetException(ex);
        }
    }
}
