using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Host.Commands;

/// <summary>A COMMAND the server cannot carry out (bad JSON, unknown name, bad field): answered with Status=FAIL and this message.</summary>
public sealed class CommandException(string message) : Exception(message);

/// <summary>The commands of docs/protocol.md, parsed from their JSON content.</summary>
public abstract record BridgeCommand;

public sealed record SegmentCommandRequest(string? Volume, string? Model, IReadOnlyList<PromptPoint>? Points, RoiBox? Roi,
    string? Output, string? RequestId) : BridgeCommand;

public sealed record SetRoiCommand(string? Volume, RoiBox? Roi) : BridgeCommand;

public sealed record SetModelCommand(string Model) : BridgeCommand;

public sealed record SetTargetCommand(string Volume) : BridgeCommand;

public sealed record UndoCommand(string? Volume) : BridgeCommand;

public sealed record ResetCommand(string? Volume) : BridgeCommand;

public sealed record ListModelsCommand : BridgeCommand;

public sealed record GetStatusCommand : BridgeCommand;

/// <summary>JSON helpers for <see cref="Vec3"/> fields.</summary>
internal static class VecFormat
{
    public static double[] ToArray(Vec3 v) => [v.X, v.Y, v.Z];
}
