namespace SlicerBridge.Protocol;

public enum IgtlScalarType : byte { Int8 = 2, UInt8 = 3, Int16 = 4, UInt16 = 5, Int32 = 6, UInt32 = 7, Float32 = 10, Float64 = 11 }

public enum IgtlEndianness : byte { Big = 1, Little = 2 }

public enum IgtlCoordinateSystem : byte { Ras = 1, Lps = 2 }

/// <summary>A voxel index or size triple (i fastest).</summary>
public readonly record struct IgtlIndex3(int I, int J, int K)
{
    public long Product => (long)I * J * K;
}

public static class IgtlScalarTypes
{
    public static bool IsDefined(byte code) => code is 2 or 3 or 4 or 5 or 6 or 7 or 10 or 11;

    public static int SizeOf(IgtlScalarType type) => type switch
    {
        IgtlScalarType.Int8 or IgtlScalarType.UInt8 => 1,
        IgtlScalarType.Int16 or IgtlScalarType.UInt16 => 2,
        IgtlScalarType.Int32 or IgtlScalarType.UInt32 or IgtlScalarType.Float32 => 4,
        IgtlScalarType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown OpenIGTLink scalar type."),
    };
}
