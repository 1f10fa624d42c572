using SlicerBridge.Inference.Models;

namespace SlicerBridge.Host.Tests.Core;

public class ModelRegistryTests
{
    /// <summary>A model that only records whether it was disposed.</summary>
    private sealed class FakeModel(string name, long weightBytes) : ISegmentationModel
    {
        private int _disposed;
        public string Name => name;
        public string Description => $"fake {name}";
        public long WeightBytes => weightBytes;
        public bool Disposed => Volatile.Read(ref _disposed) > 0;
        public int DisposeCount => Volatile.Read(ref _disposed);
        public SegmentationResult Segment(SegmentationRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();
        public void Dispose() => Interlocked.Increment(ref _disposed);
    }

    /// <summary>Builds "fake" models of the spec's name; the weight size is parsed from the spec's Config.</summary>
    private sealed class FakeFactory : IModelFactory
    {
        private int _creates;
        public string Kind => "fake";
        public List<FakeModel> Created { get; } = [];
        public int Creates => Volatile.Read(ref _creates);
        public ManualResetEventSlim? Gate { get; set; }
        public Func<ModelSpec, Exception?> Fail { get; set; } = _ => null;

        public ISegmentationModel Create(ModelSpec spec)
        {
            Interlocked.Increment(ref _creates);
            Gate?.Wait(TimeSpan.FromSeconds(30));
            if (Fail(spec) is { } ex) throw ex;
            var model = new FakeModel(spec.Name, long.Parse(spec.Config ?? "0", System.Globalization.CultureInfo.InvariantCulture));
            lock (Created) Created.Add(model);
            return model;
        }

        public FakeModel Last(string name) { lock (Created) return Created.Last(m => m.Name == name); }
    }

    private static ModelRegistry Registry(FakeFactory factory, long budget, params (string Name, long Bytes)[] models) =>
        new([factory], models.Select(m => new ModelSpec(m.Name, "fake", Checkpoint: $"/weights/{m.Name}.pth", Config: m.Bytes.ToString(System.Globalization.CultureInfo.InvariantCulture))), budget);

    [Fact]
    public void A_model_is_loaded_on_first_use_and_then_reused()
    {
        var factory = new FakeFactory();
        using var registry = Registry(factory, 100, ("a", 10), ("b", 10));
        Assert.Equal(0, factory.Creates);
        var before = registry.List().Single(m => m.Name == "a");
        Assert.False(before.Loaded);
        Assert.Equal("fake (a.pth)", before.Description);

        using (var lease = registry.Acquire("A")) // names are case-insensitive
        {
            Assert.Equal(1, factory.Creates);
            Assert.Same(factory.Last("a"), lease.Model);
        }
        using (var again = registry.Acquire("a")) Assert.Same(factory.Last("a"), again.Model);
        Assert.Equal(1, factory.Creates);
        var after = registry.List().Single(m => m.Name == "a");
        Assert.True(after.Loaded);
        Assert.Equal("fake a", after.Description);
        Assert.Equal(10, after.WeightBytes);
        Assert.False(registry.List().Single(m => m.Name == "b").Loaded);
        Assert.Equal(10, registry.LoadedBytes);
    }

    [Fact]
    public void A_leased_model_is_not_unloaded_even_over_the_budget()
    {
        var factory = new FakeFactory();
        using var registry = Registry(factory, 15, ("a", 10), ("b", 10));
        var a = registry.Acquire("a");
        var b = registry.Acquire("b"); // 20 bytes > 15, but both are in use
        Assert.False(factory.Last("a").Disposed);
        Assert.False(factory.Last("b").Disposed);
        Assert.Equal(20, registry.LoadedBytes);

        b.Dispose(); // b is free now and the registry is over budget: b goes, a (leased, older) stays
        Assert.True(factory.Last("b").Disposed);
        Assert.False(factory.Last("a").Disposed);
        Assert.Equal(10, registry.LoadedBytes);
        a.Dispose();
        a.Dispose(); // a second Dispose of a lease is harmless
        Assert.False(factory.Last("a").Disposed); // within budget: stays loaded
        Assert.True(registry.List().Single(m => m.Name == "a").Loaded);
    }

    [Fact]
    public void Past_the_budget_the_least_recently_used_free_models_are_unloaded()
    {
        var factory = new FakeFactory();
        using var registry = Registry(factory, 25, ("a", 10), ("b", 10), ("c", 10));
        registry.Acquire("a").Dispose();
        registry.Acquire("b").Dispose();
        registry.Acquire("a").Dispose(); // a is now more recent than b
        using (registry.Acquire("c")) // 30 > 25: b, the least recently used, goes
        {
            Assert.True(factory.Last("b").Disposed);
            Assert.False(factory.Last("a").Disposed);
            Assert.False(factory.Last("c").Disposed);
        }
        Assert.Equal(["a", "c"], registry.List().Where(m => m.Loaded).Select(m => m.Name).Order().ToArray());

        var firstB = factory.Last("b");
        using (var b = registry.Acquire("b")) // reloaded; now a is the least recently used
        {
            Assert.NotSame(firstB, b.Model);
            Assert.Equal(4, factory.Creates);
            Assert.True(factory.Last("a").Disposed);
            Assert.False(factory.Last("c").Disposed);
        }
        Assert.Equal(20, registry.LoadedBytes);
    }

    [Fact]
    public void Unknown_model_names_the_available_ones()
    {
        var factory = new FakeFactory();
        using var registry = Registry(factory, 100, ("a", 1), ("b", 1));
        var ex = Assert.Throws<ModelUnavailableException>(() => registry.Acquire("unet"));
        Assert.Equal("Unknown model 'unet'. Available: a, b.", ex.Message);
        Assert.False(registry.IsKnown("unet"));
        Assert.Equal(0, factory.Creates);
    }

    [Fact]
    public void A_failing_factory_is_reported_with_the_model_name_and_retried_next_time()
    {
        var factory = new FakeFactory();
        bool broken = true;
        factory.Fail = spec => broken ? new FileNotFoundException($"{spec.Checkpoint} does not exist") : null;
        using var registry = Registry(factory, 100, ("bad", 1));
        var ex = Assert.Throws<ModelUnavailableException>(() => registry.Acquire("bad"));
        Assert.Equal("Model 'bad' could not be loaded: /weights/bad.pth does not exist", ex.Message);
        Assert.IsType<FileNotFoundException>(ex.InnerException);
        Assert.False(registry.List().Single().Loaded);

        Assert.Throws<ModelUnavailableException>(() => registry.Acquire("bad")); // the failure is not cached: loaded again
        Assert.Equal(2, factory.Creates);
        broken = false;
        using var lease = registry.Acquire("bad");
        Assert.Equal(3, factory.Creates);
        Assert.True(registry.List().Single().Loaded);
    }

    [Fact]
    public async Task Concurrent_first_uses_of_one_model_load_it_once()
    {
        var factory = new FakeFactory { Gate = new ManualResetEventSlim(false) };
        using var registry = Registry(factory, 15, ("a", 10));
        const int callers = 6;
        int started = 0;
        var tasks = Enumerable.Range(0, callers).Select(_ => Task.Factory.StartNew(() =>
        {
            Interlocked.Increment(ref started);
            return registry.Acquire("a");
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        while (Volatile.Read(ref started) < callers || factory.Creates == 0) await Task.Delay(5);
        await Task.Delay(200); // every caller is inside Acquire, waiting for the load
        factory.Gate.Set();
        var leases = await Task.WhenAll(tasks);

        Assert.Equal(1, factory.Creates);
        var model = Assert.Single(factory.Created);
        Assert.All(leases, l => Assert.Same(model, l.Model));
        foreach (var lease in leases.Skip(1)) lease.Dispose();
        Assert.False(model.Disposed);
        leases[0].Dispose();
        Assert.False(model.Disposed); // within budget
        Assert.Equal(10, registry.LoadedBytes);
    }

    [Fact]
    public async Task Concurrent_first_uses_share_one_failure()
    {
        var factory = new FakeFactory { Gate = new ManualResetEventSlim(false), Fail = _ => new InvalidDataException("corrupt checkpoint") };
        using var registry = Registry(factory, 100, ("a", 10));
        var tasks = Enumerable.Range(0, 4).Select(_ => Task.Factory.StartNew(() => registry.Acquire("a"),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        while (factory.Creates == 0) await Task.Delay(5);
        await Task.Delay(200);
        factory.Gate.Set();
        foreach (var t in tasks)
            Assert.Contains("corrupt checkpoint", (await Assert.ThrowsAsync<ModelUnavailableException>(() => t)).Message);
        Assert.Equal(1, factory.Creates);
    }

    [Fact]
    public void Dispose_unloads_free_models_at_once_and_leased_ones_when_their_last_lease_ends()
    {
        var factory = new FakeFactory();
        var registry = Registry(factory, 100, ("a", 10), ("b", 10));
        var a = registry.Acquire("a");
        var a2 = registry.Acquire("a");
        registry.Acquire("b").Dispose();

        registry.Dispose();
        Assert.True(factory.Last("b").Disposed);
        Assert.False(factory.Last("a").Disposed); // still in use
        Assert.Throws<ObjectDisposedException>(() => registry.Acquire("a"));
        a.Dispose();
        Assert.False(factory.Last("a").Disposed);
        a2.Dispose();
        Assert.Equal(1, factory.Last("a").DisposeCount);
        registry.Dispose(); // idempotent
        Assert.Equal(1, factory.Last("b").DisposeCount);
    }
}
