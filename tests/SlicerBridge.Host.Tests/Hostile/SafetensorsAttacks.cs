using System.Text;

namespace SlicerBridge.Host.Tests.Hostile;

/// <summary>Safetensors headers that are not what the format promises (issue 15: unhandled exceptions with stack traces).</summary>
internal static class SafetensorsAttacks
{
    public static IEnumerable<HostileCase> Cases =>
    [
        new("safetensors", "header-is-an-array", dir => Read(dir, Header("[1,2,3]")), "not an object"),
        new("safetensors", "header-is-a-string", dir => Read(dir, Header("\"weights\"")), "not an object"),
        new("safetensors", "key-not-utf8", dir => Read(dir, Header([.. "{\""u8, 0xFF, 0xFE, .. "\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"u8])), "UTF-8"),
        new("safetensors", "header-length-2^63", dir => Read(dir, [.. BitConverter.GetBytes(1UL << 63), .. "{}"u8]), "does not fit"),
        new("safetensors", "shape-beyond-int32", dir => Read(dir, Header("""{"w":{"dtype":"F32","shape":[3000000000],"data_offsets":[0,4]}}""")), "malformed"),
        new("safetensors", "offset-overflows", dir => Read(dir, Header("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[9223372036854775799,9223372036854775807]}}""")), "do not hold"),
        new("safetensors", "element-count-overflow", dir => Read(dir, Header("""{"w":{"dtype":"F32","shape":[2147483647,2147483647,2147483647],"data_offsets":[0,4]}}""")), "more elements"),
        new("safetensors", "array-header-through-segment", dir =>
            HostileCorpus.SegmentWithCheckpoint(dir, HostileCorpus.Write(dir, "hostile.safetensors", Header("[]"))), "not an object"),
        new("safetensors", "string-header-through-model-run", dir =>
            HostileCorpus.ModelRun(dir, HostileCorpus.Write(dir, "hostile.safetensors", Header("\"x\""))), "not an object"),
    ];

    private static byte[] Header(string json) => Header(Encoding.UTF8.GetBytes(json));

    private static byte[] Header(byte[] json) => [.. BitConverter.GetBytes((ulong)json.Length), .. json, .. new byte[16]];

    private static string[] Read(string dir, byte[] file) => ["read-checkpoint", HostileCorpus.Write(dir, "hostile.safetensors", file)];
}
