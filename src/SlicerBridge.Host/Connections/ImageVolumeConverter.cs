using SlicerBridge.Host.Sessions;
using SlicerBridge.Inference.Volumes;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Connections;

/// <summary>
/// IMAGE ↔ <see cref="Volume"/>. Only full, single-component volumes are accepted: Slicer always sends
/// the whole volume, and assembling sub-volumes would need a partial state the protocol cannot report.
/// </summary>
public static class ImageVolumeConverter
{
    public static Outcome<Volume> ToVolume(ImageMessage image)
    {
        string who = $"IMAGE '{image.DeviceName}'";
        if (image.Components != 1)
            return Bad("MultiComponent", $"{who} has {image.Components} components per voxel; send a single-component (scalar) volume.");
        if (image.SubOffset != new IgtlIndex3(0, 0, 0) || image.SubSize != new IgtlIndex3(image.SizeI, image.SizeJ, image.SizeK))
            return Bad("SubVolume", $"{who} is a sub-volume (offset {image.SubOffset}, size {image.SubSize} of {image.SizeI}x{image.SizeJ}x{image.SizeK}); send the full volume.");
        if (string.IsNullOrEmpty(image.DeviceName))
            return Bad("NoName", "IMAGE has an empty device name; the name identifies the volume.");
        VolumeGeometry geometry;
        try { geometry = VolumeGeometry.FromMatrix(image.SizeI, image.SizeJ, image.SizeK, image.GetIjkToRas()); }
        catch (ArgumentException ex) { return Bad("BadGeometry", $"{who}: {ex.Message}"); }

        var voxels = new float[geometry.VoxelCount];
        VoxelType? type = image.ScalarType switch
        {
            IgtlScalarType.Int8 => Convert<sbyte>(image, voxels, VoxelType.Int8),
            IgtlScalarType.UInt8 => Convert<byte>(image, voxels, VoxelType.UInt8),
            IgtlScalarType.Int16 => Convert<short>(image, voxels, VoxelType.Int16),
            IgtlScalarType.UInt16 => Convert<ushort>(image, voxels, VoxelType.UInt16),
            IgtlScalarType.Int32 => Convert<int>(image, voxels, VoxelType.Int32),
            IgtlScalarType.UInt32 => Convert<uint>(image, voxels, VoxelType.UInt32),
            IgtlScalarType.Float32 => Convert<float>(image, voxels, VoxelType.Float32),
            IgtlScalarType.Float64 => Convert<double>(image, voxels, VoxelType.Float64),
            _ => null,
        };
        if (type is null) return Bad("ScalarType", $"{who} has unsupported scalar type {image.ScalarType}.");
        foreach (float v in voxels)
            if (!float.IsFinite(v))
                return Bad("NonFinite", $"{who} contains NaN or infinite voxel values.");
        return new Volume(geometry, voxels, image.DeviceName, type.Value);
    }

    /// <summary>
    /// A prior (docs/protocol.md, "Refining an existing segment"): a full uint8 single-component image; its grid is checked
    /// against the volume by the session. Nonzero voxels are inside.
    /// </summary>
    public static Outcome<(VolumeGeometry Geometry, byte[] Voxels)> ToPrior(ImageMessage image)
    {
        string who = $"Prior '{image.DeviceName}'";
        if (image.ScalarType != IgtlScalarType.UInt8)
            return Bad("PriorScalarType", $"{who} has scalar type {image.ScalarType}; a prior is uint8 (0 outside, nonzero inside).");
        if (image.Components != 1)
            return Bad("PriorComponents", $"{who} has {image.Components} components per voxel; a prior has one.");
        if (image.SubOffset != new IgtlIndex3(0, 0, 0) || image.SubSize != new IgtlIndex3(image.SizeI, image.SizeJ, image.SizeK))
            return Bad("SubVolume", $"{who} is a sub-volume (offset {image.SubOffset}, size {image.SubSize} of {image.SizeI}x{image.SizeJ}x{image.SizeK}); send the full mask.");
        VolumeGeometry geometry;
        try { geometry = VolumeGeometry.FromMatrix(image.SizeI, image.SizeJ, image.SizeK, image.GetIjkToRas()); }
        catch (ArgumentException ex) { return Bad("BadGeometry", $"{who}: {ex.Message}"); }
        var voxels = new byte[geometry.VoxelCount];
        image.CopyPixelsTo<byte>(voxels);
        return (geometry, voxels);
    }

    private static Rejection Bad(string name, string message) => new(RejectionKind.BadImage, message, name);

    private static VoxelType Convert<T>(ImageMessage image, float[] voxels, VoxelType type) where T : unmanaged, System.Numerics.INumberBase<T>
    {
        var typed = new T[voxels.Length];
        image.CopyPixelsTo<T>(typed);
        for (int i = 0; i < typed.Length; i++) voxels[i] = float.CreateTruncating(typed[i]);
        return type;
    }

    /// <summary>A uint8 0/1 labelmap IMAGE on <paramref name="geometry"/>; <paramref name="mask"/> is referenced, not copied.</summary>
    public static ImageMessage ToLabelmap(string deviceName, byte[] mask, VolumeGeometry geometry)
    {
        var image = new ImageMessage(deviceName, IgtlScalarType.UInt8, 1, geometry.SizeI, geometry.SizeJ, geometry.SizeK, mask);
        image.SetIjkToRas(geometry.IjkToRas);
        return image;
    }
}
