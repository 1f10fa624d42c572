namespace SlicerBridge.Host.Sessions;

/// <summary>Device names of results.</summary>
public static class OutputNames
{
    /// <summary>Device name of a result: the first 16 characters of the volume name + "_seg" (fits the 20-byte device name).</summary>
    public static string ResultDeviceName(string volumeName) => (volumeName.Length > 16 ? volumeName[..16] : volumeName) + "_seg";
}
