using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace SlicerBridge.Protocol;

public sealed partial class ImageMessage
{
    /// <summary>Copies the pixels into <paramref name="destination"/> as float32 in host order (all scalar types).</summary>
    public void CopyPixelsToFloat32(Span<float> destination)
    {
        long count = (long)SubSize.I * SubSize.J * SubSize.K * Components;
        if (destination.Length < count) throw new ArgumentException($"Destination holds {destination.Length} values, {count} needed.");
        ReadOnlySpan<byte> src = Pixels.Span;
        bool swap = PixelEndianness != IgtlScalarTypes.HostEndianness;
        int n = (int)count;
        switch (ScalarType)
        {
            case IgtlScalarType.Int8:
                var s8 = MemoryMarshal.Cast<byte, sbyte>(src);
                for (int i = 0; i < n; i++) destination[i] = s8[i];
                break;
            case IgtlScalarType.UInt8:
                for (int i = 0; i < n; i++) destination[i] = src[i];
                break;
            case IgtlScalarType.Int16:
                var i16 = MemoryMarshal.Cast<byte, short>(src);
                if (swap) for (int i = 0; i < n; i++) destination[i] = BinaryPrimitives.ReverseEndianness(i16[i]);
                else for (int i = 0; i < n; i++) destination[i] = i16[i];
                break;
            case IgtlScalarType.UInt16:
                var u16 = MemoryMarshal.Cast<byte, ushort>(src);
                if (swap) for (int i = 0; i < n; i++) destination[i] = BinaryPrimitives.ReverseEndianness(u16[i]);
                else for (int i = 0; i < n; i++) destination[i] = u16[i];
                break;
            case IgtlScalarType.Int32:
                var i32 = MemoryMarshal.Cast<byte, int>(src);
                if (swap) for (int i = 0; i < n; i++) destination[i] = BinaryPrimitives.ReverseEndianness(i32[i]);
                else for (int i = 0; i < n; i++) destination[i] = i32[i];
                break;
            case IgtlScalarType.UInt32:
                var u32 = MemoryMarshal.Cast<byte, uint>(src);
                if (swap) for (int i = 0; i < n; i++) destination[i] = BinaryPrimitives.ReverseEndianness(u32[i]);
                else for (int i = 0; i < n; i++) destination[i] = u32[i];
                break;
            case IgtlScalarType.Float32:
                if (swap) for (int i = 0; i < n; i++) destination[i] = BinaryPrimitives.ReadSingleBigEndian(src[(4 * i)..]);
                else MemoryMarshal.Cast<byte, float>(src)[..n].CopyTo(destination);
                break;
            case IgtlScalarType.Float64:
                if (swap) for (int i = 0; i < n; i++) destination[i] = (float)BinaryPrimitives.ReadDoubleBigEndian(src[(8 * i)..]);
                else { var f64 = MemoryMarshal.Cast<byte, double>(src); for (int i = 0; i < n; i++) destination[i] = (float)f64[i]; }
                break;
            default:
                throw new InvalidOperationException($"Unknown scalar type {ScalarType}.");
        }
    }

    /// <summary>Copies the raw pixels into <paramref name="destination"/> converted to host byte order.</summary>
    public void CopyPixelsToHostOrder(Span<byte> destination)
    {
        var src = Pixels.Span;
        src.CopyTo(destination);
        if (PixelEndianness == IgtlScalarTypes.HostEndianness) return;
        var d = destination[..src.Length];
        switch (ScalarSize)
        {
            case 2: BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ushort>(d), MemoryMarshal.Cast<byte, ushort>(d)); break;
            case 4: BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, uint>(d), MemoryMarshal.Cast<byte, uint>(d)); break;
            case 8: BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ulong>(d), MemoryMarshal.Cast<byte, ulong>(d)); break;
        }
    }
}
