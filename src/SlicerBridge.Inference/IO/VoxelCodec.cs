using System.Buffers.Binary;
using System.Runtime.InteropServices;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.IO;

/// <summary>Converts raw voxel bytes of any supported scalar type and byte order to float32 and back.</summary>
internal static class VoxelCodec
{
    private const int ChunkBytes = 1 << 20;

    public static int BytesPerVoxel(VoxelType type) => type switch
    {
        VoxelType.Int8 or VoxelType.UInt8 => 1,
        VoxelType.Int16 or VoxelType.UInt16 => 2,
        VoxelType.Int32 or VoxelType.UInt32 or VoxelType.Float32 => 4,
        VoxelType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>
    /// Reads <paramref name="count"/> voxels from <paramref name="source"/> in chunks and returns them as float32, applying
    /// value × slope + intercept when slope is not 1 or intercept not 0. Reads nothing past the declared data; a short
    /// stream is a <see cref="VolumeFormatException"/>. The caller has checked <paramref name="count"/> against its limit;
    /// the buffer is allocated uninitialised, so the memory a truncated file costs is what it actually delivered.
    /// </summary>
    public static float[] Read(Stream source, VoxelType type, bool bigEndian, long count, string name, double slope = 1, double intercept = 0)
    {
        if (count > Array.MaxLength) throw new VolumeFormatException($"'{name}': a volume of {count} voxels is too large for one buffer.");
        int size = BytesPerVoxel(type);
        var values = GC.AllocateUninitializedArray<float>((int)count);
        byte[] chunk = new byte[(int)Math.Min(ChunkBytes, count * size)];
        int perChunk = chunk.Length / size;
        for (int done = 0; done < values.Length;)
        {
            int n = Math.Min(values.Length - done, perChunk);
            var bytes = chunk.AsSpan(0, n * size);
            int got = VolumeStreams.ReadUpTo(source, bytes, name);
            if (got < bytes.Length)
                throw new VolumeFormatException($"'{name}' is truncated: its voxel data ends after {(long)done * size + got} of the {count * size} bytes that {count} voxels of {type} need.");
            Convert(bytes, type, bigEndian, values.AsSpan(done, n));
            done += n;
        }
        if (slope != 1 || intercept != 0)
            for (int n = 0; n < values.Length; n++) values[n] = (float)(values[n] * slope + intercept);
        return values;
    }

    private static void Convert(ReadOnlySpan<byte> v, VoxelType type, bool bigEndian, Span<float> d)
    {
        switch (type)
        {
            case VoxelType.UInt8: for (int i = 0; i < d.Length; i++) d[i] = v[i]; break;
            case VoxelType.Int8: for (int i = 0; i < d.Length; i++) d[i] = (sbyte)v[i]; break;
            case VoxelType.Int16:
                for (int i = 0; i < d.Length; i++) d[i] = bigEndian ? BinaryPrimitives.ReadInt16BigEndian(v[(2 * i)..]) : BinaryPrimitives.ReadInt16LittleEndian(v[(2 * i)..]);
                break;
            case VoxelType.UInt16:
                for (int i = 0; i < d.Length; i++) d[i] = bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(v[(2 * i)..]) : BinaryPrimitives.ReadUInt16LittleEndian(v[(2 * i)..]);
                break;
            case VoxelType.Int32:
                for (int i = 0; i < d.Length; i++) d[i] = bigEndian ? BinaryPrimitives.ReadInt32BigEndian(v[(4 * i)..]) : BinaryPrimitives.ReadInt32LittleEndian(v[(4 * i)..]);
                break;
            case VoxelType.UInt32:
                for (int i = 0; i < d.Length; i++) d[i] = bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(v[(4 * i)..]) : BinaryPrimitives.ReadUInt32LittleEndian(v[(4 * i)..]);
                break;
            case VoxelType.Float32:
                if (!bigEndian && BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(v).CopyTo(d);
                else for (int i = 0; i < d.Length; i++) d[i] = bigEndian ? BinaryPrimitives.ReadSingleBigEndian(v[(4 * i)..]) : BinaryPrimitives.ReadSingleLittleEndian(v[(4 * i)..]);
                break;
            case VoxelType.Float64:
                for (int i = 0; i < d.Length; i++) d[i] = (float)(bigEndian ? BinaryPrimitives.ReadDoubleBigEndian(v[(8 * i)..]) : BinaryPrimitives.ReadDoubleLittleEndian(v[(8 * i)..]));
                break;
            default: throw new ArgumentOutOfRangeException(nameof(type));
        }
    }

    /// <summary>Little-endian float32 bytes of the values.</summary>
    public static byte[] EncodeFloat32(ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * sizeof(float)];
        for (int n = 0; n < values.Length; n++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(n * 4), values[n]);
        return bytes;
    }
}
