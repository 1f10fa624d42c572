using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Host.Sessions;

/// <summary>A prior accepted for a volume: how many voxels it marks (0 = the volume's prior was cleared).</summary>
public sealed record PriorChange(string Volume, long InsideVoxels);

public sealed partial class SessionState
{
    /// <summary>Device names ending so are priors (docs/protocol.md, "Refining an existing segment"), never volumes.</summary>
    public const string PriorSuffix = "_prior";

    /// <summary>The volume name characters a prior's device name keeps (20-byte device name minus <see cref="PriorSuffix"/>).</summary>
    public const int PriorPrefixLength = 14;

    public static bool IsPriorName(string device) => device.EndsWith(PriorSuffix, StringComparison.Ordinal);

    /// <summary>
    /// An IMAGE named <c>&lt;volume[:14]&gt;_prior</c> arrived (already checked to be a full uint8 single-component image):
    /// it becomes the prior of the session volume whose name starts with that prefix (the target when several do), which
    /// every later segmentation of that volume starts from; an all-zero one clears it. Never stored as a volume.
    /// </summary>
    public Outcome<PriorChange> ReceivePrior(string device, VolumeGeometry geometry, byte[] voxels)
    {
        string prefix = device[..^PriorSuffix.Length];
        VolumeSlot slot;
        string contentKey;
        lock (_gate)
        {
            var candidates = prefix.Length == 0 ? [] : _volumes.Values.Where(v => v.Name.StartsWith(prefix, StringComparison.Ordinal)).ToList();
            if (candidates.Count == 0)
                return new Rejection(RejectionKind.PriorVolumeNotFound,
                    $"Prior '{device}' matches no volume of this session (names starting with '{prefix}'); send the volume first. " +
                    $"This session has: {(_volumes.Count == 0 ? "none" : string.Join(", ", _volumes.Keys))}.", "UnknownVolume");
            if (candidates.Count == 1) slot = candidates[0];
            else if (_target is { } t && candidates.Contains(t)) slot = t;
            else
                return new Rejection(RejectionKind.BadImage,
                    $"Prior '{device}' matches several volumes ({string.Join(", ", candidates.Select(c => c.Name))}) and none is the target; " +
                    "make the one it belongs to the target (SetTarget or send it again) first.", "AmbiguousPrior");
            if (PriorGeometryDifference(device, slot, geometry) is { } difference)
                return new Rejection(RejectionKind.BadImage, difference, "PriorGeometry");
            geometry = slot.Geometry; // equal up to rounding: the prior lives on the volume's grid exactly
            contentKey = slot.ContentKey;
        }
        var prior = new PriorMask(geometry, voxels); // scans the voxels: outside the lock
        lock (_gate)
        {
            if (_closed) return Outcome<PriorChange>.Superseded("the session is closed");
            if (slot.ContentKey != contentKey)
                return Outcome<PriorChange>.Superseded($"Volume '{slot.Name}' was replaced while its prior was read.");
            slot.Prior = prior.IsEmpty ? null : prior;
        }
        return new PriorChange(slot.Name, prior.InsideCount);
    }

    /// <summary>Null when the prior lies on the volume's grid; otherwise how it differs.</summary>
    private static string? PriorGeometryDifference(string device, VolumeSlot slot, VolumeGeometry prior)
    {
        VolumeGeometry volume = slot.Geometry;
        if (prior.SizeI != volume.SizeI || prior.SizeJ != volume.SizeJ || prior.SizeK != volume.SizeK)
            return $"Prior '{device}' has dimensions {prior.SizeI}x{prior.SizeJ}x{prior.SizeK} but volume '{slot.Name}' has " +
                         $"{volume.SizeI}x{volume.SizeJ}x{volume.SizeK}; send the mask on the volume's grid.";
        if (!SameIjkToRas(prior, volume))
            return $"Prior '{device}' has another IJK-to-RAS than volume '{slot.Name}': spacing {prior.Spacing} vs {volume.Spacing}, " +
                         $"origin {prior.Origin} vs {volume.Origin}, axes I {Direction(prior.ColumnI)} vs {Direction(volume.ColumnI)}, " +
                         $"J {Direction(prior.ColumnJ)} vs {Direction(volume.ColumnJ)}, K {Direction(prior.ColumnK)} vs {Direction(volume.ColumnK)}; " +
                         "send the mask on the volume's grid.";
        return null;
    }

    private static Vec3 Direction(Vec3 v) => v.Length > 0 ? new Vec3(v.X / v.Length, v.Y / v.Length, v.Z / v.Length) : v;

    /// <summary>
    /// Equal up to float32 rounding: the wire carries the matrix as float32, and a client may compute the mask's matrix
    /// separately from the volume's. Axis columns within 1e-5 of their length, origin within 1e-3 mm plus 1e-6 of its norm.
    /// </summary>
    private static bool SameIjkToRas(VolumeGeometry a, VolumeGeometry b)
    {
        static bool Near(Vec3 x, Vec3 y, double tolerance) => (x - y).Length <= tolerance;
        return Near(a.ColumnI, b.ColumnI, 1e-5 * b.ColumnI.Length) && Near(a.ColumnJ, b.ColumnJ, 1e-5 * b.ColumnJ.Length)
            && Near(a.ColumnK, b.ColumnK, 1e-5 * b.ColumnK.Length) && Near(a.Origin, b.Origin, 1e-3 + 1e-6 * b.Origin.Length);
    }
}
