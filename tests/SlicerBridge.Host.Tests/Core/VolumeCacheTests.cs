using SlicerBridge.Host.Server;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Host.Tests.Core;

public class VolumeCacheTests
{
    private static Volume Make(float fill, int n = 10) =>
        new(VolumeGeometry.AxisAligned(n, n, n, new Vec3(1, 1, 1), new Vec3(0, 0, 0)), Enumerable.Repeat(fill, n * n * n).ToArray(), $"v{fill}");

    [Fact]
    public void Identical_content_is_stored_once()
    {
        var cache = new VolumeCache(1 << 20);
        string a = cache.AddPinned(Make(1));
        string b = cache.AddPinned(Make(1));
        Assert.Equal(a, b);
        Assert.Equal(1, cache.Count);
        Assert.Equal(4000, cache.UsedBytes);
    }

    [Fact]
    public void Least_recently_used_unpinned_volume_is_evicted_over_budget()
    {
        var cache = new VolumeCache(3 * 4000); // room for three 10^3 float volumes
        string k1 = cache.AddPinned(Make(1)), k2 = cache.AddPinned(Make(2)), k3 = cache.AddPinned(Make(3));
        cache.Unpin(k1); cache.Unpin(k2); cache.Unpin(k3);
        cache.Get(k1, "v1"); // k2 is now the least recently used
        string k4 = cache.AddPinned(Make(4));
        Assert.True(cache.Contains(k1));
        Assert.False(cache.Contains(k2));
        Assert.True(cache.Contains(k3) && cache.Contains(k4));
        Assert.Equal(12000, cache.UsedBytes);
        var ex = Assert.Throws<VolumeEvictedException>(() => cache.Get(k2, "MRHead"));
        Assert.Contains("send the volume again", ex.Message);
        Assert.Contains("MRHead", ex.Message);
    }

    [Fact]
    public void Pinned_volumes_are_never_evicted()
    {
        var cache = new VolumeCache(2 * 4000);
        string k1 = cache.AddPinned(Make(1)), k2 = cache.AddPinned(Make(2)), k3 = cache.AddPinned(Make(3));
        Assert.True(cache.Contains(k1) && cache.Contains(k2) && cache.Contains(k3));
        Assert.Equal(12000, cache.UsedBytes);
        cache.Unpin(k2); // now evictable, and the cache is over budget
        Assert.False(cache.Contains(k2));
        Assert.Equal(8000, cache.UsedBytes);
    }

    [Fact]
    public void Volume_larger_than_budget_is_refused_with_sizes()
    {
        var cache = new VolumeCache(1000);
        var ex = Assert.Throws<VolumeTooLargeException>(() => cache.AddPinned(Make(1)));
        Assert.Contains("4000 bytes", ex.Message);
        Assert.Equal(0, cache.Count);
    }
}
