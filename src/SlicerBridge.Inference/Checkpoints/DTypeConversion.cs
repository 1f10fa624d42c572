using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace SlicerBridge.Inference.Checkpoints;

/// <summary>Element sizes and little-endian → float32 conversion for checkpoint dtypes.</summary>
internal static class DTypeConversion
{
    public static int SizeOf(CheckpointDType dtype) => dtype switch
    {
        CheckpointDType.Float32 or CheckpointDType.Int32 => 4,
        CheckpointDType.Float16 or CheckpointDType.BFloat16 => 2,
        CheckpointDType.Float64 or CheckpointDType.Int64 => 8,
        CheckpointDType.UInt8 or CheckpointDType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    /// <summary>Converts <paramref name="source"/> (little-endian elements of <paramref name="dtype"/>) into float32.</summary>
    public static void ToFloat32(CheckpointDType dtype, ReadOnlySpan<byte> source, Span<float> destination)
    {
        switch (dtype)
        {
            case CheckpointDType.Float32:
                MemoryMarshal.Cast<byte, float>(source).CopyTo(destination);
                break;
            case CheckpointDType.Float16:
                for (int i = 0; i < destination.Length; i++) destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(source[(2 * i)..]);
                break;
            case CheckpointDType.BFloat16:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(source[(2 * i)..]) << 16);
                break;
            case CheckpointDType.Float64:
                for (int i = 0; i < destination.Length; i++) destination[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(source[(8 * i)..]);
                break;
            case CheckpointDType.Int64:
                for (int i = 0; i < destination.Length; i++) destination[i] = BinaryPrimitives.ReadInt64LittleEndian(source[(8 * i)..]);
                break;
            case CheckpointDType.Int32:
                for (int i = 0; i < destination.Length; i++) destination[i] = BinaryPrimitives.ReadInt32LittleEndian(source[(4 * i)..]);
                break;
            case CheckpointDType.UInt8:
            case CheckpointDType.Bool:
                for (int i = 0; i < destination.Length; i++) destination[i] = source[i];
                break;
        }
    }
}
