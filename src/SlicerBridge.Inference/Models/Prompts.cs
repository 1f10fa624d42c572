using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.Models;

/// <summary>A click in RAS millimetres. Positive = inside the structure, negative = background.</summary>
public readonly record struct PromptPoint(Vec3 Ras, bool Positive);

/// <summary>
/// A region of interest in RAS: centre, full size along its own axes (mm), and optionally its axes
/// (unit vectors in RAS; identity = axis-aligned).
/// </summary>
public sealed record RoiBox(Vec3 Center, Vec3 Size, Vec3 AxisX, Vec3 AxisY, Vec3 AxisZ)
{
    public static RoiBox AxisAligned(Vec3 center, Vec3 size) => new(center, size, new(1, 0, 0), new(0, 1, 0), new(0, 0, 1));

    /// <summary>From two opposite RAS corners of an axis-aligned box.</summary>
    public static RoiBox FromCorners(Vec3 a, Vec3 b) => AxisAligned((a + b) * 0.5,
        new Vec3(Math.Abs(a.X - b.X), Math.Abs(a.Y - b.Y), Math.Abs(a.Z - b.Z)));

    public bool Contains(Vec3 ras)
    {
        Vec3 d = ras - Center;
        return Math.Abs(d.Dot(AxisX)) <= Size.X / 2 && Math.Abs(d.Dot(AxisY)) <= Size.Y / 2 && Math.Abs(d.Dot(AxisZ)) <= Size.Z / 2;
    }
}
