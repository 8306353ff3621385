"""Built-in datasets, image folders and zips, and the batch stream."""

from gankit.data.dataset import ImageDataset, to_float, to_uint8
from gankit.errors import ConfigError

__all__ = ["ImageDataset", "open_dataset", "to_float", "to_uint8"]


def open_dataset(data_cfg, split: str = "train", progress: bool = True) -> ImageDataset:
    """Open the dataset a `DataConfig` describes, fully decoded (a PointDataset for ring8 and grid25)."""
    if data_cfg.source in ("ring8", "grid25"):
        from gankit.data.points import NUM_POINTS, load_points

        return load_points(data_cfg.source, data_cfg.max_images or NUM_POINTS)
    if data_cfg.source == "digits":
        from gankit.data.digits import load_digits_dataset

        return load_digits_dataset(split, data_cfg.resolution, data_cfg.channels, data_cfg.max_images)
    if data_cfg.source == "stacked-digits":
        from gankit.data.stacked_digits import load_stacked_digits

        if data_cfg.channels != 3:
            raise ConfigError(f"data.channels={data_cfg.channels}: stacked digits have 3 channels; set data.channels=3")
        return load_stacked_digits(split, data_cfg.resolution, num_images=data_cfg.max_images)
    from gankit.data.image_folder import load_image_folder

    return load_image_folder(
        data_cfg.path,
        data_cfg.resolution,
        channels=data_cfg.channels,
        skip_bad=data_cfg.skip_bad,
        max_images=data_cfg.max_images,
        progress=progress,
        labels=data_cfg.labels,
    )
