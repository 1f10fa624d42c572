using System.Buffers.Binary;

namespace SlicerBridge.Host.Tests.Hostile;

/// <summary>NIfTI files whose header promises what the data does not hold (issue 15: gzip bombs, 1024³ from 1 MB, int32 overflow).</summary>
internal static class NiftiAttacks
{
    public static IEnumerable<HostileCase> Cases =>
    [
        // 1×1×1 volume followed by 2 GiB of gzipped zeros: inflated only as far as the one voxel.
        new("nifti", "gzip-bomb-after-1-voxel", dir => ["read-volume", HostileCorpus.Write(dir, "bomb.nii.gz", GzipBomb.After(Nifti(1, 1, 1), 2L << 30))],
            "1x1x1", ExpectSuccess: true),
        // 1024³ int16 declared in a 1 MB file: refused before allocation (it used to reach 8 GB, then overflow in Volume).
        new("nifti", "declares-1024^3-in-1MB", dir => HostileCorpus.Segment(dir,
            HostileCorpus.Write(dir, "big.nii.gz", GzipBomb.Gzip([.. Nifti(1024, 1024, 1024, datatype: 4), .. Noise(1 << 20)]))), "MaxVoxels"),
        // 800³ uint8 (under the limit) with 1 MB of data: the buffer is allocated but only what arrives is touched.
        new("nifti", "declares-800^3-holds-1MB", dir => HostileCorpus.Segment(dir,
            HostileCorpus.Write(dir, "short.nii.gz", GzipBomb.Gzip([.. Nifti(800, 800, 800), .. Noise(1 << 20)]))), "truncated"),
        new("nifti", "declares-800^3-uncompressed-holds-1MB", dir => HostileCorpus.Segment(dir,
            HostileCorpus.Write(dir, "short.nii", [.. Nifti(800, 800, 800), .. Noise(1 << 20)])), "truncated"),
        new("nifti", "vox-offset-1e30", dir => HostileCorpus.Segment(dir,
            HostileCorpus.Write(dir, "offset.nii", VoxOffset(Nifti(2, 2, 2), 1e30f))), "vox_offset"),
        new("nifti", "not-gzip-after-magic", dir => HostileCorpus.Segment(dir,
            HostileCorpus.Write(dir, "corrupt.nii.gz", [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9])), "gzip data is corrupt"),
    ];

    /// <summary>A single-file NIfTI-1 header (and the 4-byte extension flag) for a volume of the given size; data not included.</summary>
    public static byte[] Nifti(short i, short j, short k, short datatype = 2)
    {
        var h = new byte[352];
        BinaryPrimitives.WriteInt32LittleEndian(h, 348);
        short[] dims = [3, i, j, k, 1, 1, 1, 1];
        for (int d = 0; d < 8; d++) BinaryPrimitives.WriteInt16LittleEndian(h.AsSpan(40 + 2 * d), dims[d]);
        BinaryPrimitives.WriteInt16LittleEndian(h.AsSpan(70), datatype);
        BinaryPrimitives.WriteInt16LittleEndian(h.AsSpan(72), (short)(datatype == 4 ? 16 : 8));
        for (int d = 0; d < 4; d++) BinaryPrimitives.WriteSingleLittleEndian(h.AsSpan(76 + 4 * d), 1f);
        BinaryPrimitives.WriteSingleLittleEndian(h.AsSpan(108), 352f);
        "n+1\0"u8.CopyTo(h.AsSpan(344));
        if (i * j * k == 1) return [.. h, 7]; // one voxel of data
        return h;
    }

    private static byte[] VoxOffset(byte[] header, float offset)
    {
        BinaryPrimitives.WriteSingleLittleEndian(header.AsSpan(108), offset);
        return [.. header, .. new byte[8]];
    }

    /// <summary>Incompressible bytes, so that the gzip file is as large as its content.</summary>
    public static byte[] Noise(int count)
    {
        var bytes = new byte[count];
        new Random(15).NextBytes(bytes);
        return bytes;
    }
}
