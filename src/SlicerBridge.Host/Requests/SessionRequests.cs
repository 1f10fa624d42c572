using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Host.Requests;

/// <summary>A COMMAND whose name or JSON content cannot be read (bad JSON, unknown name, bad field): answered with Status=FAIL and this message.</summary>
public sealed class MalformedRequestException(string message) : Exception(message);

/// <summary>What a client asks of its session: the COMMAND messages of docs/protocol.md, parsed from their JSON content.</summary>
public abstract record SessionRequest;

public sealed record SegmentRequest(string? Volume, string? Model, IReadOnlyList<PromptPoint>? Points, RoiBox? Roi,
    string? Output, string? RequestId) : SessionRequest;

public sealed record SetRoiRequest(string? Volume, RoiBox? Roi) : SessionRequest;

public sealed record SetModelRequest(string Model) : SessionRequest;

public sealed record SetTargetRequest(string Volume) : SessionRequest;

public sealed record UndoRequest(string? Volume) : SessionRequest;

public sealed record ResetRequest(string? Volume) : SessionRequest;

public sealed record ListModelsRequest : SessionRequest;

public sealed record GetStatusRequest : SessionRequest;

/// <summary>COMMAND StartStream: follow a live source's frames with a prompt (docs/live-2d.md).</summary>
public sealed record StartStreamCommand(SlicerBridge.Host.Streaming.StartStreamRequest Stream) : SessionRequest;

/// <summary>COMMAND StopStream: end this client's live stream (a no-op when it has none).</summary>
public sealed record StopStreamCommand : SessionRequest;

/// <summary>JSON helpers for <see cref="Vec3"/> fields.</summary>
internal static class VecFormat
{
    public static double[] ToArray(Vec3 v) => [v.X, v.Y, v.Z];
}
