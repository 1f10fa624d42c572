namespace SlicerBridge.Host.Tests.Support;

/// <summary>The shared fixtures: $SLICERBRIDGE_SHARED, else ../shared beside the checkout.</summary>
internal static class SharedFixtures
{
    public static string Folder { get; } = Environment.GetEnvironmentVariable("SLICERBRIDGE_SHARED") is { Length: > 0 } s ? s : FindShared();

    public static string SamMed3DTiny(string file) => Path.Combine(Folder, "fixtures", "sam-med3d-tiny", file);

    public static string CtSam3DTiny(string file) => Path.Combine(Folder, "fixtures", "ct-sam3d-tiny", file);
    public static string SamMed2DTiny(string file) => Path.Combine(Folder, "fixtures", "sam-med2d-tiny", file);

    private static string FindShared()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SlicerBridge.sln")))
                return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared"));
        throw new InvalidOperationException("SlicerBridge.sln not found above " + AppContext.BaseDirectory);
    }
}
