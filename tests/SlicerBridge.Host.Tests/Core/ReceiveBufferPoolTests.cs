using SlicerBridge.Host.Server;

namespace SlicerBridge.Host.Tests.Core;

public class ReceiveBufferPoolTests
{
    [Fact]
    public void Large_buffers_are_counted_while_out_and_never_handed_out_twice()
    {
        var pool = new ReceiveBufferPool();
        var a = pool.Rent(ReceiveBufferPool.LargeBytes + 1);
        var b = pool.Rent(3 << 20);
        Assert.Equal(ReceiveBufferPool.LargeBytes + 1, a.Length); // exact size: no power-of-two rounding for volumes
        Assert.Equal(ReceiveBufferPool.LargeBytes + 1 + (3 << 20), pool.OutstandingBytes);
        pool.Return(a);
        var c = pool.Rent(ReceiveBufferPool.LargeBytes + 1);
        Assert.NotSame(a, c); // not pooled: given back to the collector
        pool.Return(b);
        pool.Return(c);
        Assert.Equal(0, pool.OutstandingBytes);
    }

    [Fact]
    public void Small_buffers_come_from_the_shared_pool_and_are_not_counted()
    {
        var pool = new ReceiveBufferPool();
        var small = pool.Rent(4096);
        Assert.True(small.Length >= 4096);
        Assert.Equal(0, pool.OutstandingBytes);
        pool.Return(small);
    }
}
