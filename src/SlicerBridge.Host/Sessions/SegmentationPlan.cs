using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Host.Sessions;

/// <summary>
/// A segmentation the session has decided to run: what to submit (<see cref="Request"/> with model and supersede key) and
/// what is needed to record its result (<see cref="ContentKey"/> detects a volume replaced while it ran).
/// </summary>
public sealed record SegmentationPlan(VolumeSlot Slot, string Model, string SupersedeKey, string RequestId, string Output,
    string ContentKey, SegmentationRequest Request)
{
    public VolumeGeometry Geometry => Request.Volume.Geometry;
}

/// <summary>A labelmap to send: device name, 0/1 mask on <see cref="Geometry"/>, and the request id it answers.</summary>
public sealed record Labelmap(string Device, byte[] Mask, VolumeGeometry Geometry, string RequestId, string Model);

/// <summary>A recorded segmentation result: the labelmap to send and how many voxels it marks.</summary>
public sealed record SegmentationDone(Labelmap Labelmap, long Voxels);

/// <summary>What Undo / Reset produced: the labelmap that now stands and the undo depth left.</summary>
public sealed record HistoryChange(string Volume, int Depth, Labelmap Labelmap);

/// <summary>An ROI change and, when one is set, the volume a model may warm up on.</summary>
public sealed record RoiChange(string Volume, RoiBox? Roi, string Model, Volume? WarmUp);
