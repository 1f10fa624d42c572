namespace SlicerBridge.Inference.IO;

/// <summary>
/// Where a detached NRRD header's <c>data file</c> may point: a relative path that stays inside the header's folder,
/// through plain folders (no symbolic links) to a regular file. A path in a file is the file's author speaking, not
/// the user: it must not make the reader open <c>/etc/passwd</c>, <c>/proc/self/environ</c>, a FIFO or a device.
/// Nothing outside the folder is examined, so an error says nothing about what exists there.
/// </summary>
internal static class NrrdDataFile
{
    public static string Resolve(string headerPath, string dataFile, string name)
    {
        string quoted = Text.Clip(dataFile);
        if (dataFile.StartsWith("LIST", StringComparison.Ordinal) || dataFile.Contains(' '))
            throw new VolumeFormatException($"'{name}': multi-file NRRD data ('data file: {quoted}') is not supported.");
        if (dataFile.Any(char.IsControl) || dataFile.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
            throw new VolumeFormatException($"'{name}': data file '{quoted}' has control characters in its name.");
        if (dataFile.Length == 0 || Path.IsPathRooted(dataFile))
            throw new VolumeFormatException($"'{name}': data file '{quoted}' must be a path relative to the header's folder.");
        string folder = Path.TrimEndingDirectorySeparator(Path.GetDirectoryName(Path.GetFullPath(headerPath))!);
        string full = Path.GetFullPath(Path.Combine(folder, dataFile));
        var comparison = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        if (!full.StartsWith(folder + Path.DirectorySeparatorChar, comparison))
            throw new VolumeFormatException($"'{name}': data file '{quoted}' leaves the header's folder; only files beside the header or below it are read.");

        string[] parts = Path.GetRelativePath(folder, full).Split(Path.DirectorySeparatorChar);
        string current = folder;
        for (int i = 0; i < parts.Length; i++)
        {
            current = Path.Combine(current, parts[i]);
            bool last = i == parts.Length - 1;
            switch (RegularFile.Of(current, followLinks: false))
            {
                case RegularFile.Kind.Missing:
                    throw new VolumeFormatException($"'{name}': detached data file '{quoted}' not found.");
                case RegularFile.Kind.SymbolicLink:
                    throw new VolumeFormatException($"'{name}': data file '{quoted}' goes through a symbolic link; links are not followed.");
                case RegularFile.Kind.Regular when last:
                case RegularFile.Kind.Directory when !last:
                    break;
                default:
                    throw new VolumeFormatException($"'{name}': data file '{quoted}' is not a regular file.");
            }
        }
        return full;
    }
}
