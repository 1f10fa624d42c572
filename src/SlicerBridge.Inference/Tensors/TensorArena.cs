using System.Collections.Concurrent;

namespace SlicerBridge.Inference.Tensors;

/// <summary>
/// Work tensors for one forward pass, taken from a process-wide pool of exact-size arrays and given back when the
/// arena is disposed. A model's intermediate shapes repeat from call to call, so after the first call no large
/// array is allocated (fresh multi-megabyte arrays cost page faults and GC work on every click otherwise).
/// Tensors from an arena must not outlive it. The pool keeps at most <see cref="PoolBudgetBytes"/>.
/// </summary>
public sealed class TensorArena : IDisposable
{
    private static readonly ConcurrentDictionary<int, ConcurrentBag<float[]>> Pool = new();
    private static long _pooledBytes;
    private readonly List<float[]> _rented = [];

    public static long PoolBudgetBytes { get; set; } = 512L << 20;
    public static long PooledBytes => Interlocked.Read(ref _pooledBytes);

    /// <summary>A tensor whose contents are undefined (every op that writes its whole output may take it).</summary>
    public Tensor Rent(params int[] shape)
    {
        long count = 1;
        foreach (int d in shape) count *= d;
        if (count > Array.MaxLength) throw new ArgumentException($"Shape [{string.Join(",", shape)}] is too large.");
        float[]? data = null;
        if (Pool.TryGetValue((int)count, out var bag) && bag.TryTake(out data))
            Interlocked.Add(ref _pooledBytes, -count * sizeof(float));
        data ??= GC.AllocateUninitializedArray<float>((int)count);
        _rented.Add(data);
        return new Tensor(data, shape);
    }

    public Tensor Zeros(params int[] shape)
    {
        var t = Rent(shape);
        Array.Clear(t.Data);
        return t;
    }

    public Tensor Copy(Tensor x)
    {
        var t = Rent(x.Shape);
        x.Data.AsSpan().CopyTo(t.Data);
        return t;
    }

    public void Dispose()
    {
        foreach (var data in _rented)
        {
            long bytes = (long)data.Length * sizeof(float);
            if (Interlocked.Add(ref _pooledBytes, bytes) > PoolBudgetBytes)
            {
                Interlocked.Add(ref _pooledBytes, -bytes);
                continue;
            }
            Pool.GetOrAdd(data.Length, _ => []).Add(data);
        }
        _rented.Clear();
    }
}
