using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.IO;

/// <summary>Reads volumes and writes masks, choosing NIfTI-1 or NRRD from the file extension.</summary>
public static class VolumeFile
{
    public const string SupportedReadExtensions = ".nii, .nii.gz, .nrrd, .nhdr";
    public const string SupportedWriteExtensions = ".nii, .nii.gz, .nrrd, .nhdr";

    /// <summary>
    /// Reads a volume; a malformed, truncated or oversized file is a <see cref="VolumeFormatException"/> (a missing one a
    /// <see cref="FileNotFoundException"/>). <paramref name="limits"/> bounds the voxel count and header size.
    /// </summary>
    public static Volume Read(string path, VolumeReadLimits? limits = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return FormatOf(path) switch
        {
            Format.Nifti => NiftiReader.Read(path, limits),
            Format.Nrrd => NrrdReader.Read(path, limits),
            _ => throw new VolumeFormatException($"'{path}': unsupported volume extension (supported: {SupportedReadExtensions})."),
        };
    }

    /// <summary>Writes a 0/1 (or label) uint8 mask on <paramref name="geometry"/>.</summary>
    public static void WriteMask(string path, byte[] mask, VolumeGeometry geometry)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(mask);
        ArgumentNullException.ThrowIfNull(geometry);
        switch (FormatOf(path))
        {
            case Format.Nifti: NiftiWriter.WriteMask(path, mask, geometry); break;
            case Format.Nrrd: NrrdWriter.WriteMask(path, mask, geometry); break;
            default: throw new VolumeFormatException($"'{path}': unsupported mask extension (supported: {SupportedWriteExtensions}).");
        }
    }

    /// <summary>Writes a volume as float32 (used to hand test data and phantoms to other tools).</summary>
    public static void WriteFloat32(string path, Volume volume)
    {
        ArgumentNullException.ThrowIfNull(volume);
        switch (FormatOf(path))
        {
            case Format.Nifti: NiftiWriter.WriteFloat32(path, volume); break;
            case Format.Nrrd: NrrdWriter.WriteFloat32(path, volume); break;
            default: throw new VolumeFormatException($"'{path}': unsupported volume extension (supported: {SupportedWriteExtensions}).");
        }
    }

    public static bool IsSupported(string path) => FormatOf(path) != Format.Unknown;

    private enum Format { Unknown, Nifti, Nrrd }

    private static Format FormatOf(string path)
    {
        string lower = path.ToLowerInvariant();
        if (lower.EndsWith(".nii") || lower.EndsWith(".nii.gz")) return Format.Nifti;
        if (lower.EndsWith(".nrrd") || lower.EndsWith(".nhdr")) return Format.Nrrd;
        return Format.Unknown;
    }
}
