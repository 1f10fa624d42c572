using System.Buffers;

namespace SlicerBridge.Protocol;

/// <summary>An exact-length view of an array rented from the shared pool, returned on Dispose.</summary>
internal sealed class PooledBuffer : IDisposable
{
    private byte[]? _array;

    public PooledBuffer(long length)
    {
        if (length > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(length), $"{length} bytes exceed the largest array.");
        Length = (int)length;
        _array = ArrayPool<byte>.Shared.Rent(Length);
    }

    public int Length { get; }

    public Memory<byte> Memory => _array is null ? throw new ObjectDisposedException(nameof(PooledBuffer)) : _array.AsMemory(0, Length);

    public void Dispose()
    {
        var array = Interlocked.Exchange(ref _array, null);
        if (array is not null) ArrayPool<byte>.Shared.Return(array);
    }
}
