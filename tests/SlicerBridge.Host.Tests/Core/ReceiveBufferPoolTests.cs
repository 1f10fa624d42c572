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

    [Fact]
    public async Task Large_buffers_dropped_together_are_collected_once_the_interval_ends_not_at_the_next_return()
    {
        var pool = new ReceiveBufferPool();
        const int size = (int)(ReceiveBufferPool.CollectAfterBytes / 2) + 1; // two make a collection due; never written, so cheap
        var buffers = Enumerable.Range(0, 4).Select(_ => pool.Rent(size)).ToList();
        pool.Return(buffers[0]);
        pool.Return(buffers[1]); // due: collected now
        int first = pool.Collections;
        Assert.True(first >= 1);
        pool.Return(buffers[2]);
        pool.Return(buffers[3]); // due again within the interval: before, these waited for the next return, which may never come
        Assert.Equal(first, pool.Collections);
        for (int i = 0; i < 100 && pool.Collections == first; i++) await Task.Delay(50);
        Assert.Equal(first + 1, pool.Collections);
    }
}
