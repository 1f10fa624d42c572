using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Models.SamMed3D;
using Xunit;

namespace SlicerBridge.Inference.Tests;

public sealed class ComputeCacheTests
{
    private static SamImageEmbedding Embedding(int floats) => new(new float[floats], 1, 1);

    [Fact]
    public void SecondRequestIsAHitAndLeastRecentlyUsedIsEvictedPastTheBudget()
    {
        var cache = new ComputeCache<SamImageEmbedding>(budgetBytes: 3 * 4000);
        int computed = 0;
        SamImageEmbedding Make() { computed++; return Embedding(1000); } // 4000 bytes each
        Assert.False(cache.GetOrCompute("a", Make).Hit);
        Assert.True(cache.GetOrCompute("a", Make).Hit);
        cache.GetOrCompute("b", Make);
        cache.GetOrCompute("c", Make);
        cache.GetOrCompute("a", Make);           // a is now the most recent
        cache.GetOrCompute("d", Make);           // over budget: b (least recent) goes
        Assert.Equal(4, computed);
        Assert.Equal(3, cache.Count);
        Assert.True(cache.UsedBytes <= cache.BudgetBytes);
        Assert.True(cache.GetOrCompute("a", Make).Hit);
        Assert.False(cache.GetOrCompute("b", Make).Hit);
    }

    [Fact]
    public async Task ConcurrentRequestsForOneKeyComputeOnce()
    {
        var cache = new ComputeCache<SamImageEmbedding>(1 << 20);
        int computed = 0;
        using var gate = new ManualResetEventSlim();
        SamImageEmbedding Slow()
        {
            Interlocked.Increment(ref computed);
            gate.Wait(TimeSpan.FromSeconds(10));
            return Embedding(10);
        }
        var first = Task.Run(() => cache.GetOrCompute("scan", Slow));
        while (Volatile.Read(ref computed) == 0) await Task.Delay(5);
        var second = Task.Run(() => cache.GetOrCompute("scan", Slow));
        await Task.Delay(50);
        Assert.False(second.IsCompleted);        // waiting for the first, not computing
        gate.Set();
        var (a, hitA) = await first;
        var (b, hitB) = await second;
        Assert.Same(a, b);
        Assert.False(hitA);
        Assert.True(hitB);
        Assert.Equal(1, computed);
    }

    [Fact]
    public void FailuresAreNotCached()
    {
        var cache = new ComputeCache<SamImageEmbedding>(1 << 20);
        Assert.Throws<InvalidOperationException>(() => cache.GetOrCompute("x", () => throw new InvalidOperationException("encoder failed")));
        Assert.Equal(0, cache.Count);
        Assert.False(cache.GetOrCompute("x", () => Embedding(4)).Hit);
        Assert.Throws<OperationCanceledException>(() => cache.GetOrCompute("y", () => throw new OperationCanceledException()));
        Assert.False(cache.GetOrCompute("y", () => Embedding(4)).Hit);
    }
}
