using SlicerBridge.Host.Scheduling;
using SlicerBridge.Host.Server;
using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Host.Sessions;

/// <summary>
/// What one client's session holds and the rules over it, without a socket: the volumes it sent (one is the target),
/// the chosen model, prompts per POINT device, ROI, undo history and the last output of each volume. Every operation
/// returns an <see cref="Outcome{T}"/>; the connection submits the planned segmentations and sends the replies.
/// Thread-safe: the reader loop and finished segmentations call it concurrently.
/// </summary>
public sealed partial class SessionState(string sessionKey, VolumeCache cache, ModelRegistry models, string defaultModel)
{
    private readonly object _gate = new();
    private readonly Dictionary<string, VolumeSlot> _volumes = new(StringComparer.Ordinal);
    private VolumeSlot? _target;
    private string _model = defaultModel;
    private bool _closed;

    public string Model { get { lock (_gate) return _model; } }
    public string? TargetName { get { lock (_gate) return _target?.Name; } }
    public IReadOnlyList<string> VolumeNames { get { lock (_gate) return [.. _volumes.Keys]; } }

    /// <summary>Groups the jobs that replace each other: one session, one volume.</summary>
    public string SupersedeKey(string volume) => $"{sessionKey}/{volume}";

    /// <summary>True for every job of this session.</summary>
    public bool Owns(InferenceJob job) => job.SupersedeKey.StartsWith($"{sessionKey}/", StringComparison.Ordinal);

    /// <summary>An IMAGE arrived: the volume is cached (shared, pinned for this session) and becomes the target.</summary>
    public Outcome<VolumeSlot> ReceiveVolume(Volume volume)
    {
        string key;
        try { key = cache.AddPinned(volume); }
        catch (VolumeTooLargeException ex) { return new Rejection(RejectionKind.TooLarge, ex.Message); }
        string? unpin = null;
        VolumeSlot? slot = null;
        lock (_gate)
        {
            if (_closed) unpin = key;
            else
            {
                if (_volumes.TryGetValue(volume.Name, out slot))
                {
                    if (ReferenceEquals(slot, _target)) unpin = slot.ContentKey;
                    if (slot.ContentKey != key) slot.ReplaceContent(key, volume.Geometry);
                }
                else _volumes[volume.Name] = slot = new VolumeSlot(volume.Name, key, volume.Geometry);
                if (_target is not null && !ReferenceEquals(_target, slot)) unpin = _target.ContentKey;
                _target = slot;
            }
        }
        if (unpin is not null) cache.Unpin(unpin);
        return slot is null ? Outcome<VolumeSlot>.Superseded("the session is closed") : slot;
    }

    /// <summary>Makes a received volume the target again (it is pinned while it is).</summary>
    public Outcome<string> SetTarget(string name)
    {
        string? unpin;
        lock (_gate)
        {
            var resolved = Resolve(name);
            if (!resolved.IsDone) return resolved.Forward<string>();
            var slot = resolved.Value!;
            if (ReferenceEquals(slot, _target)) return slot.Name;
            try { cache.Pin(slot.ContentKey); }
            catch (VolumeEvictedException ex) { return new Rejection(RejectionKind.VolumeEvicted, ex.Message.Replace(slot.ContentKey, slot.Name)); }
            unpin = _target?.ContentKey;
            _target = slot;
        }
        if (unpin is not null) cache.Unpin(unpin);
        return name;
    }

    /// <summary>Chooses the model of later segmentations (whether it loads is the caller's check).</summary>
    public Outcome<string> SetModel(string name)
    {
        if (!models.IsKnown(name)) return UnknownModel(name);
        lock (_gate) _model = name;
        return name;
    }

    /// <summary>Sets or clears the ROI of a volume (the target when <paramref name="volume"/> is null).</summary>
    public Outcome<RoiChange> SetRoi(string? volume, RoiBox? roi)
    {
        VolumeSlot slot;
        string model, contentKey;
        lock (_gate)
        {
            var resolved = Resolve(volume);
            if (!resolved.IsDone) return resolved.Forward<RoiChange>();
            slot = resolved.Value!;
            slot.Roi = roi;
            model = _model;
            contentKey = slot.ContentKey;
        }
        Volume? warmUp = null;
        if (roi is not null)
        {
            try { warmUp = cache.Get(contentKey, slot.Name); }
            catch (VolumeEvictedException) { } // nothing to warm up; the next click reports the eviction
        }
        return new RoiChange(slot.Name, roi, model, warmUp);
    }

    /// <summary>
    /// Drops the volumes' pins when the connection ends. Later operations see no volumes; results that finish
    /// afterwards are not recorded.
    /// </summary>
    public void Close()
    {
        string? unpin;
        lock (_gate)
        {
            if (_closed) return;
            _closed = true;
            unpin = _target?.ContentKey;
            _target = null;
            _volumes.Clear();
        }
        if (unpin is not null) cache.Unpin(unpin);
    }

    /// <summary>The named volume of this session, or the target when no name is given. Caller holds <see cref="_gate"/>.</summary>
    private Outcome<VolumeSlot> Resolve(string? name)
    {
        if (name is null)
            return _target is { } t ? t : new Rejection(RejectionKind.NoVolume, "No volume has been sent yet; send an IMAGE first.");
        return _volumes.TryGetValue(name, out var slot) ? slot
            : new Rejection(RejectionKind.UnknownVolume,
                $"Unknown volume '{name}'. This session has: {(_volumes.Count == 0 ? "none" : string.Join(", ", _volumes.Keys))}.");
    }

    private Rejection UnknownModel(string name) =>
        new(RejectionKind.UnknownModel, $"Unknown model '{name}'. Available: {string.Join(", ", models.Names)}.");
}
