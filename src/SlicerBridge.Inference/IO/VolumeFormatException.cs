namespace SlicerBridge.Inference.IO;

/// <summary>A volume file that is malformed, truncated or uses a feature the readers do not support.</summary>
public sealed class VolumeFormatException(string message, Exception? inner = null) : Exception(message, inner);
