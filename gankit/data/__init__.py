"""Built-in datasets, image folders and zips, and the batch stream."""

from gankit.data.dataset import ImageDataset, to_float, to_uint8

__all__ = ["ImageDataset", "open_dataset", "to_float", "to_uint8"]


def open_dataset(data_cfg, split: str = "train", progress: bool = True) -> ImageDataset:
    """Open the dataset a `DataConfig` describes, fully decoded (a PointDataset for ring8 and grid25)."""
    if data_cfg.source in ("ring8", "grid25"):
        from gankit.data.points import NUM_POINTS, load_points

        return load_points(data_cfg.source, data_cfg.max_images or NUM_POINTS)
    if data_cfg.source == "digits":
        from gankit.data.digits import load_digits_dataset

        return load_digits_dataset(split, data_cfg.resolution, data_cfg.channels)
    from gankit.data.image_folder import load_image_folder

    return load_image_folder(
        data_cfg.path,
        data_cfg.resolution,
        channels=data_cfg.channels,
        skip_bad=data_cfg.skip_bad,
        max_images=data_cfg.max_images,
        progress=progress,
    )
