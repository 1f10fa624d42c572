using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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

    /// <summary>Source continuous index of lattice voxel (0,0,0).</summary>
    public Vec3 Origin => _origin;

    /// <summary>Source index step for one voxel along lattice axis 0, 1 or 2.</summary>
    public Vec3 Step(int axis) => axis switch { 0 => _step0, 1 => _step1, 2 => _step2, _ => throw new ArgumentOutOfRangeException(nameof(axis)) };

    /// <summary>The source axis (0 = I, 1 = J, 2 = K) a lattice axis moves along most.</summary>
    public int DominantSourceAxis(int axis)
    {
        Vec3 s = Step(axis);
        double x = Math.Abs(s.X), y = Math.Abs(s.Y), z = Math.Abs(s.Z);
        return x >= y && x >= z ? 0 : y >= z ? 1 : 2;
    }

    public bool TrySample(double x, double y, double z, out float value)
    {
        // Written so that NaN counts as outside (ITK IsInsideBuffer).
        if (!(x >= -0.5 && x < _nx - 0.5 && y >= -0.5 && y < _ny - 0.5 && z >= -0.5 && z < _nz - 0.5))
        {
            value = 0;
            return false;
        }
        value = (float)Interpolate(x, y, z);
        return true;
    }

    // Only called inside [−0.5, n−0.5): below index 0 the truncation lands on 0 and the weight is zeroed,
    // beyond n−1 the upper neighbour is the edge voxel itself.
    private double Interpolate(double x, double y, double z)
    {
        int x0 = (int)x, y0 = (int)y, z0 = (int)z;
        double fx = x < 0 ? 0 : x - x0, fy = y < 0 ? 0 : y - y0, fz = z < 0 ? 0 : z - z0;
        int dx = x0 + 1 < _nx ? 1 : 0;
        long dy = y0 + 1 < _ny ? _nx : 0;
        long plane = (long)_nx * _ny;
        long dz = z0 + 1 < _nz ? plane : 0;

        ref float v = ref MemoryMarshal.GetArrayDataReference(_voxels);
        ref float p000 = ref Unsafe.Add(ref v, (nint)(z0 * plane + (long)y0 * _nx + x0));
        ref float p010 = ref Unsafe.Add(ref p000, (nint)dy);
        ref float p100 = ref Unsafe.Add(ref p000, (nint)dz);
        ref float p110 = ref Unsafe.Add(ref p100, (nint)dy);
        double c00 = p000 + fx * (Unsafe.Add(ref p000, dx) - p000);
        double c01 = p010 + fx * (Unsafe.Add(ref p010, dx) - p010);
        double c10 = p100 + fx * (Unsafe.Add(ref p100, dx) - p100);
        double c11 = p110 + fx * (Unsafe.Add(ref p110, dx) - p110);
        double c0 = c00 + fy * (c01 - c00);
        double c1 = c10 + fy * (c11 - c10);
        return c0 + fz * (c1 - c0);
    }

    private static Vec3 Linear(ReadOnlySpan<double> m, Vec3 v) => new(
        m[0] * v.X + m[1] * v.Y + m[2] * v.Z,
        m[4] * v.X + m[5] * v.Y + m[6] * v.Z,
        m[8] * v.X + m[9] * v.Y + m[10] * v.Z);
}
