namespace SlicerBridge.Inference.Volumes;

/// <summary>
/// The voxel grid of a volume: its size (I fastest, then J, then K) and its IJK-to-RAS affine
/// (Slicer's convention: columns are the I, J, K axis directions times spacing, the fourth column
/// is the RAS position in millimetres of the centre of voxel (0,0,0)).
/// </summary>
public sealed class VolumeGeometry : IEquatable<VolumeGeometry>
{
    private readonly double[] _ijkToRas; // row-major 3x4
    private readonly double[] _rasToIjk; // row-major 3x4

    public VolumeGeometry(int sizeI, int sizeJ, int sizeK, Vec3 columnI, Vec3 columnJ, Vec3 columnK, Vec3 origin)
    {
        if (sizeI <= 0 || sizeJ <= 0 || sizeK <= 0)
            throw new ArgumentException($"Volume size must be positive on every axis, got {sizeI}x{sizeJ}x{sizeK}.");
        if (!columnI.IsFinite || !columnJ.IsFinite || !columnK.IsFinite || !origin.IsFinite)
            throw new ArgumentException("IJK-to-RAS matrix contains NaN or infinity.");
        if (columnI.Length == 0 || columnJ.Length == 0 || columnK.Length == 0)
            throw new ArgumentException("IJK-to-RAS matrix has a zero-length axis (spacing 0).");
        SizeI = sizeI; SizeJ = sizeJ; SizeK = sizeK;
        ColumnI = columnI; ColumnJ = columnJ; ColumnK = columnK; Origin = origin;
        _ijkToRas =
        [
            columnI.X, columnJ.X, columnK.X, origin.X,
            columnI.Y, columnJ.Y, columnK.Y, origin.Y,
            columnI.Z, columnJ.Z, columnK.Z, origin.Z,
        ];
        double det = columnI.Dot(columnJ.Cross(columnK));
        if (Math.Abs(det) < 1e-12 * columnI.Length * columnJ.Length * columnK.Length)
            throw new ArgumentException("IJK-to-RAS matrix is singular (axes are not independent).");
        // Inverse of the 3x3 part through the cofactors (rows of the inverse are cross products / det).
        Vec3 r0 = columnJ.Cross(columnK) * (1 / det);
        Vec3 r1 = columnK.Cross(columnI) * (1 / det);
        Vec3 r2 = columnI.Cross(columnJ) * (1 / det);
        _rasToIjk =
        [
            r0.X, r0.Y, r0.Z, -r0.Dot(origin),
            r1.X, r1.Y, r1.Z, -r1.Dot(origin),
            r2.X, r2.Y, r2.Z, -r2.Dot(origin),
        ];
    }

    /// <summary>Builds a geometry from a row-major 4x4 (or 3x4) IJK-to-RAS matrix.</summary>
    public static VolumeGeometry FromMatrix(int sizeI, int sizeJ, int sizeK, ReadOnlySpan<double> rowMajor)
    {
        if (rowMajor.Length < 12) throw new ArgumentException("IJK-to-RAS needs at least 12 values (3x4, row-major).");
        return new VolumeGeometry(sizeI, sizeJ, sizeK,
            new Vec3(rowMajor[0], rowMajor[4], rowMajor[8]),
            new Vec3(rowMajor[1], rowMajor[5], rowMajor[9]),
            new Vec3(rowMajor[2], rowMajor[6], rowMajor[10]),
            new Vec3(rowMajor[3], rowMajor[7], rowMajor[11]));
    }

    /// <summary>An axis-aligned RAS grid (identity directions) with the given spacing.</summary>
    public static VolumeGeometry AxisAligned(int sizeI, int sizeJ, int sizeK, Vec3 spacing, Vec3 origin) =>
        new(sizeI, sizeJ, sizeK, new Vec3(spacing.X, 0, 0), new Vec3(0, spacing.Y, 0), new Vec3(0, 0, spacing.Z), origin);

    public int SizeI { get; }
    public int SizeJ { get; }
    public int SizeK { get; }
    public long VoxelCount => (long)SizeI * SizeJ * SizeK;

    /// <summary>I axis direction times spacing (first column of IJK-to-RAS).</summary>
    public Vec3 ColumnI { get; }
    public Vec3 ColumnJ { get; }
    public Vec3 ColumnK { get; }
    /// <summary>RAS position (mm) of the centre of voxel (0,0,0).</summary>
    public Vec3 Origin { get; }

    public Vec3 Spacing => new(ColumnI.Length, ColumnJ.Length, ColumnK.Length);

    /// <summary>Row-major 3x4 IJK-to-RAS.</summary>
    public ReadOnlySpan<double> IjkToRas => _ijkToRas;
    /// <summary>Row-major 3x4 RAS-to-IJK.</summary>
    public ReadOnlySpan<double> RasToIjk => _rasToIjk;

    public Vec3 IjkToRasPoint(Vec3 ijk) => Apply(_ijkToRas, ijk);
    public Vec3 RasToIjkPoint(Vec3 ras) => Apply(_rasToIjk, ras);

    /// <summary>Flat index of voxel (i,j,k): I fastest.</summary>
    public long Index(int i, int j, int k) => ((long)k * SizeJ + j) * SizeI + i;

    public bool Contains(int i, int j, int k) => (uint)i < (uint)SizeI && (uint)j < (uint)SizeJ && (uint)k < (uint)SizeK;

    /// <summary>True when the continuous index lies within the voxel grid's extent (half a voxel beyond the centres).</summary>
    public bool ContainsContinuous(Vec3 ijk) =>
        ijk.X >= -0.5 && ijk.X <= SizeI - 0.5 && ijk.Y >= -0.5 && ijk.Y <= SizeJ - 0.5 && ijk.Z >= -0.5 && ijk.Z <= SizeK - 0.5;

    private static Vec3 Apply(double[] m, Vec3 p) => new(
        m[0] * p.X + m[1] * p.Y + m[2] * p.Z + m[3],
        m[4] * p.X + m[5] * p.Y + m[6] * p.Z + m[7],
        m[8] * p.X + m[9] * p.Y + m[10] * p.Z + m[11]);

    public bool Equals(VolumeGeometry? other) =>
        other is not null && SizeI == other.SizeI && SizeJ == other.SizeJ && SizeK == other.SizeK &&
        _ijkToRas.AsSpan().SequenceEqual(other._ijkToRas);

    public override bool Equals(object? obj) => Equals(obj as VolumeGeometry);
    public override int GetHashCode() => HashCode.Combine(SizeI, SizeJ, SizeK, Origin, ColumnI, ColumnJ, ColumnK);
    public override string ToString() => $"{SizeI}x{SizeJ}x{SizeK} spacing {Spacing} origin {Origin}";
}
