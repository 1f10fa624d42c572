using System.Buffers.Binary;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.IO;

/// <summary>Converts raw voxel bytes of any supported scalar type and byte order to float32 and back.</summary>
internal static class VoxelCodec
{
    public static int BytesPerVoxel(VoxelType type) => type switch
    {
        VoxelType.Int8 or VoxelType.UInt8 => 1,
        VoxelType.Int16 or VoxelType.UInt16 => 2,
        VoxelType.Int32 or VoxelType.UInt32 or VoxelType.Float32 => 4,
        VoxelType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>Decodes <paramref name="count"/> voxels, applying value × slope + intercept when slope is not 1 or intercept not 0.</summary>
    public static float[] Decode(ReadOnlySpan<byte> data, VoxelType type, bool bigEndian, long count, double slope = 1, double intercept = 0)
    {
        int size = BytesPerVoxel(type);
        if (count > Array.MaxLength) throw new VolumeFormatException($"Volume of {count} voxels is too large.");
        if (data.Length < count * size)
            throw new VolumeFormatException($"Voxel data is truncated: {data.Length} bytes, {count} voxels of {type} need {count * size}.");
        var values = new float[count];
        for (int n = 0; n < values.Length; n++)
        {
            ReadOnlySpan<byte> v = data.Slice(n * size, size);
            values[n] = type switch
            {
                VoxelType.UInt8 => v[0],
                VoxelType.Int8 => (sbyte)v[0],
                VoxelType.Int16 => bigEndian ? BinaryPrimitives.ReadInt16BigEndian(v) : BinaryPrimitives.ReadInt16LittleEndian(v),
                VoxelType.UInt16 => bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(v) : BinaryPrimitives.ReadUInt16LittleEndian(v),
                VoxelType.Int32 => bigEndian ? BinaryPrimitives.ReadInt32BigEndian(v) : BinaryPrimitives.ReadInt32LittleEndian(v),
                VoxelType.UInt32 => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(v) : BinaryPrimitives.ReadUInt32LittleEndian(v),
                VoxelType.Float32 => bigEndian ? BinaryPrimitives.ReadSingleBigEndian(v) : BinaryPrimitives.ReadSingleLittleEndian(v),
                VoxelType.Float64 => (float)(bigEndian ? BinaryPrimitives.ReadDoubleBigEndian(v) : BinaryPrimitives.ReadDoubleLittleEndian(v)),
                _ => throw new ArgumentOutOfRangeException(nameof(type)),
            };
        }
        if (slope != 1 || intercept != 0)
            for (int n = 0; n < values.Length; n++) values[n] = (float)(values[n] * slope + intercept);
        return values;
    }

    /// <summary>Little-endian float32 bytes of the values.</summary>
    public static byte[] EncodeFloat32(ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * sizeof(float)];
        for (int n = 0; n < values.Length; n++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(n * 4), values[n]);
        return bytes;
    }
}
