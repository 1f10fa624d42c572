namespace SlicerBridge.Inference.Models;

/// <summary>How to build one named model: its kind (which factory), optionally a checkpoint and a configuration, and where and at what precision it runs.</summary>
public sealed record ModelSpec(string Name, string Kind, string? Checkpoint = null, string? Config = null, string Device = "auto", string Precision = "fp32");

/// <summary>Builds models of one kind ("growcut", "sam-med3d", ...). Loading may be slow; it runs on first use.</summary>
public interface IModelFactory
{
    string Kind { get; }
    ISegmentationModel Create(ModelSpec spec);

    /// <summary>
    /// Writes the model's ONNX graphs, their weights (external data) and a manifest into <paramref name="folder"/>
    /// (<c>slicerbridge export-onnx</c>). Models without graphs (GrowCut) have nothing to export.
    /// </summary>
    void ExportOnnx(ModelSpec spec, string folder) =>
        throw new NotSupportedException($"Model kind '{Kind}' has no ONNX graphs to export.");

    /// <summary>
    /// Runs the network on prepared inputs and writes every intermediate under its parity fixture's file names
    /// (<c>slicerbridge model-run</c>, for reproducing model outputs); returns a one-line summary.
    /// </summary>
    string RunNetwork(ModelRunRequest request, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"Model kind '{Kind}' has no network to run on prepared inputs.");
}

/// <summary>What <c>model-run</c> was given: checkpoint, configuration (preset or fixture-style JSON), prepared input, clicks.</summary>
public sealed record ModelRunRequest(string Checkpoint, string? Config, string? Input, string OutDir, IReadOnlyList<string> Points, string Device = "auto",
    string Precision = "fp32");

/// <summary>What ListModels reports about a model; <see cref="Device"/> is null until it is loaded.</summary>
public sealed record ModelInfo(string Name, string Kind, string Description, bool Loaded, long WeightBytes, long CacheBytes = 0, string? Device = null);

/// <summary>An unknown or unloadable model: reported to the client as FAIL with this message.</summary>
public sealed class ModelUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Models by name. A model is loaded on first use and stays loaded while the loaded models fit the
/// memory budget; past it, the least recently used models that nobody is using are unloaded.
/// Callers hold a <see cref="ModelLease"/> while they use a model so it is never unloaded under them.
/// </summary>
public sealed class ModelRegistry : IDisposable
{
    private readonly Dictionary<string, IModelFactory> _factories;
    private readonly Dictionary<string, ModelSpec> _specs;
    private readonly Dictionary<string, Entry> _loaded = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Loading> _loading = new(StringComparer.OrdinalIgnoreCase);
    private readonly object _gate = new();
    private readonly long _budgetBytes;
    private long _clock;
    private bool _disposed;

    public ModelRegistry(IEnumerable<IModelFactory> factories, IEnumerable<ModelSpec> specs, long memoryBudgetBytes)
    {
        _factories = factories.ToDictionary(f => f.Kind, StringComparer.OrdinalIgnoreCase);
        _specs = new Dictionary<string, ModelSpec>(StringComparer.OrdinalIgnoreCase);
        foreach (var spec in specs)
        {
            if (!_factories.ContainsKey(spec.Kind))
                throw new ArgumentException($"Model '{spec.Name}' has kind '{spec.Kind}', known kinds: {string.Join(", ", _factories.Keys)}.");
            _specs[spec.Name] = spec;
        }
        _budgetBytes = memoryBudgetBytes;
    }

    public IReadOnlyCollection<string> Names => _specs.Keys;

    public bool IsKnown(string name) => _specs.ContainsKey(name);

    /// <summary>
    /// Loads (if needed) and leases a model. Concurrent callers for a model that is not loaded yet share one load.
    /// Throws <see cref="ModelUnavailableException"/> (unknown model, or the load failed; a failed load is retried by the next call).
    /// </summary>
    public ModelLease Acquire(string name)
    {
        if (!_specs.TryGetValue(name, out var spec))
            throw new ModelUnavailableException($"Unknown model '{name}'. Available: {string.Join(", ", _specs.Keys)}.");
        Loading loading;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_loaded.TryGetValue(spec.Name, out var entry))
            {
                entry.Leases++;
                entry.LastUse = ++_clock;
                return new ModelLease(this, entry);
            }
            if (!_loading.TryGetValue(spec.Name, out loading!))
                _loading[spec.Name] = loading = new Loading(spec, _factories[spec.Kind]);
            loading.Waiters++;
        }
        // Load outside the lock: a checkpoint load can take seconds and must not block other models.
        ISegmentationModel model;
        try
        {
            model = loading.Model.Value;
        }
        catch (Exception ex)
        {
            lock (_gate)
                if (_loading.TryGetValue(spec.Name, out var current) && ReferenceEquals(current, loading)) _loading.Remove(spec.Name);
            if (ex is OperationCanceledException) throw;
            throw new ModelUnavailableException($"Model '{spec.Name}' could not be loaded: {ex.Message}", ex);
        }
        lock (_gate)
        {
            if (loading.Published is { } published)
            {
                // Another waiter published the entry; this caller's lease was counted then.
                if (_disposed) { Release(published); throw new ObjectDisposedException(nameof(ModelRegistry)); }
                published.LastUse = ++_clock;
                return new ModelLease(this, published);
            }
            if (_loading.TryGetValue(spec.Name, out var current) && ReferenceEquals(current, loading)) _loading.Remove(spec.Name);
            if (_disposed)
            {
                if (--loading.Waiters == 0) model.Dispose();
                throw new ObjectDisposedException(nameof(ModelRegistry));
            }
            // The first waiter back publishes the model with a lease for every waiter, so none can see it unloaded.
            var entry = new Entry(spec, model) { Leases = loading.Waiters, LastUse = ++_clock };
            loading.Published = entry;
            _loaded[spec.Name] = entry;
            EvictOverBudget();
            return new ModelLease(this, entry);
        }
    }

    public IReadOnlyList<ModelInfo> List()
    {
        lock (_gate)
        {
            return _specs.Values.Select(s => _loaded.TryGetValue(s.Name, out var e)
                ? new ModelInfo(s.Name, s.Kind, e.Model.Description, true, e.Model.WeightBytes, e.Model.CacheBytes, e.Model.Device)
                : new ModelInfo(s.Name, s.Kind, s.Checkpoint is null ? s.Kind : $"{s.Kind} ({Path.GetFileName(s.Checkpoint)})", false, 0)).ToList();
        }
    }

    public long LoadedBytes
    {
        get { lock (_gate) return _loaded.Values.Sum(e => e.Model.WeightBytes); }
    }

    private void Release(Entry entry)
    {
        lock (_gate)
        {
            entry.Leases--;
            if (_disposed && entry.Leases == 0) entry.Model.Dispose();
            else EvictOverBudget();
        }
    }

    private void EvictOverBudget()
    {
        long used = _loaded.Values.Sum(e => e.Model.WeightBytes);
        foreach (var victim in _loaded.Values.Where(e => e.Leases == 0).OrderBy(e => e.LastUse).ToList())
        {
            if (used <= _budgetBytes) break;
            _loaded.Remove(victim.Spec.Name);
            used -= victim.Model.WeightBytes;
            victim.Model.Dispose();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var e in _loaded.Values.Where(e => e.Leases == 0)) e.Model.Dispose();
            _loaded.Clear();
        }
    }

    /// <summary>One load in progress, shared by every caller that asked for the model meanwhile.</summary>
    private sealed class Loading(ModelSpec spec, IModelFactory factory)
    {
        public Lazy<ISegmentationModel> Model { get; } = new(() => factory.Create(spec), LazyThreadSafetyMode.ExecutionAndPublication);
        /// <summary>Callers waiting for this load (guarded by the registry's lock).</summary>
        public int Waiters;
        public Entry? Published;
    }

    internal sealed class Entry(ModelSpec spec, ISegmentationModel model)
    {
        public ModelSpec Spec { get; } = spec;
        public ISegmentationModel Model { get; } = model;
        public int Leases;
        public long LastUse;
    }

    /// <summary>A model in use. Dispose it when the request is done.</summary>
    public sealed class ModelLease : IDisposable
    {
        private ModelRegistry? _owner;
        private readonly Entry _entry;

        internal ModelLease(ModelRegistry owner, Entry entry) { _owner = owner; _entry = entry; }

        public ISegmentationModel Model => _entry.Model;

        public void Dispose() => Interlocked.Exchange(ref _owner, null)?.Release(_entry);
    }
}
