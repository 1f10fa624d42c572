using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.Models.SamMed3D.Pipeline;

/// <summary>
/// Samples a volume at the voxel centres of another (affine) lattice with SimpleITK's linear interpolation:
/// outside the source extent [−0.5, n−0.5) nothing is returned; between the outermost voxel centre and the
/// extent border the edge voxel is repeated. Lattice steps are precomputed in source index space.
/// </summary>
internal readonly struct TrilinearSampler
{
    private readonly float[] _voxels;
    private readonly int _nx, _ny, _nz;
    private readonly Vec3 _origin, _step0, _step1, _step2;

    public TrilinearSampler(Volume source, VolumeGeometry lattice)
    {
        VolumeGeometry g = source.Geometry;
        _voxels = source.Voxels;
        _nx = g.SizeI; _ny = g.SizeJ; _nz = g.SizeK;
        _origin = g.RasToIjkPoint(lattice.Origin);
        ReadOnlySpan<double> m = g.RasToIjk;
        _step0 = Linear(m, lattice.ColumnI);
        _step1 = Linear(m, lattice.ColumnJ);
        _step2 = Linear(m, lattice.ColumnK);
    }

    /// <summary>Source continuous index of lattice voxel (a0, a1, a2).</summary>
    public Vec3 SourceIndex(int a0, int a1, int a2) => _origin + _step0 * a0 + _step1 * a1 + _step2 * a2;

    public bool TrySample(int a0, int a1, int a2, out float value)
    {
        double x = _origin.X + _step0.X * a0 + _step1.X * a1 + _step2.X * a2;
        double y = _origin.Y + _step0.Y * a0 + _step1.Y * a1 + _step2.Y * a2;
        double z = _origin.Z + _step0.Z * a0 + _step1.Z * a1 + _step2.Z * a2;
        // Written so that NaN counts as outside (ITK IsInsideBuffer).
        if (!(x >= -0.5 && x < _nx - 0.5 && y >= -0.5 && y < _ny - 0.5 && z >= -0.5 && z < _nz - 0.5))
        {
            value = 0;
            return false;
        }
        value = (float)Interpolate(x, y, z);
        return true;
    }

    private double Interpolate(double x, double y, double z)
    {
        int x0 = (int)Math.Floor(x), y0 = (int)Math.Floor(y), z0 = (int)Math.Floor(z);
        double fx = x - x0, fy = y - y0, fz = z - z0;
        int x1 = Math.Min(x0 + 1, _nx - 1), y1 = Math.Min(y0 + 1, _ny - 1), z1 = Math.Min(z0 + 1, _nz - 1);
        x0 = Math.Max(x0, 0); y0 = Math.Max(y0, 0); z0 = Math.Max(z0, 0);

        long plane = (long)_nx * _ny;
        long r00 = z0 * plane + (long)y0 * _nx, r01 = z0 * plane + (long)y1 * _nx;
        long r10 = z1 * plane + (long)y0 * _nx, r11 = z1 * plane + (long)y1 * _nx;
        float[] v = _voxels;
        double c00 = v[r00 + x0] + fx * (v[r00 + x1] - v[r00 + x0]);
        double c01 = v[r01 + x0] + fx * (v[r01 + x1] - v[r01 + x0]);
        double c10 = v[r10 + x0] + fx * (v[r10 + x1] - v[r10 + x0]);
        double c11 = v[r11 + x0] + fx * (v[r11 + x1] - v[r11 + x0]);
        double c0 = c00 + fy * (c01 - c00);
        double c1 = c10 + fy * (c11 - c10);
        return c0 + fz * (c1 - c0);
    }

    private static Vec3 Linear(ReadOnlySpan<double> m, Vec3 v) => new(
        m[0] * v.X + m[1] * v.Y + m[2] * v.Z,
        m[4] * v.X + m[5] * v.Y + m[6] * v.Z,
        m[8] * v.X + m[9] * v.Y + m[10] * v.Z);
}
