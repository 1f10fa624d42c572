using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Host.Sessions;

/// <summary>One volume as a session sees it: cache key, geometry, prompts per POINT device, ROI, model state and undo stack.</summary>
public sealed class VolumeSlot(string name, string contentKey, VolumeGeometry geometry)
{
    public string Name { get; } = name;
    public string ContentKey { get; set; } = contentKey;
    public VolumeGeometry Geometry { get; set; } = geometry;

    /// <summary>Points per POINT device name; the prompt set is their union.</summary>
    public Dictionary<string, List<PromptPoint>> PointsByDevice { get; } = new(StringComparer.Ordinal);
    public RoiBox? Roi { get; set; }
    public ModelState? ModelState { get; set; }
    public string? ModelStateOwner { get; set; }
    public int RunCounter { get; set; }

    /// <summary>The segmentation the next ones start from (an IMAGE <c>…_prior</c>), or null.</summary>
    public PriorMask? Prior { get; set; }

    /// <summary>Device name the last labelmap of this volume went to (a Segment's <c>output</c>, or <c>&lt;name&gt;_seg</c>); Undo and Reset write there too.</summary>
    public string Output { get; set; } = OutputNames.ResultDeviceName(name);

    /// <summary>Previous results, newest on top; Undo pops one and re-sends the one below.</summary>
    public UndoHistory History { get; } = new();

    public IReadOnlyList<PromptPoint> AllPoints() => PointsByDevice.Values.SelectMany(p => p).ToList();

    public void ReplaceContent(string contentKey, VolumeGeometry geometry)
    {
        ContentKey = contentKey;
        Geometry = geometry;
        Prior = null;
        ModelState = null;
        ModelStateOwner = null;
        History.Clear();
    }

    public void Reset()
    {
        PointsByDevice.Clear();
        Roi = null;
        Prior = null;
        ModelState = null;
        ModelStateOwner = null;
        History.Clear();
    }
}
