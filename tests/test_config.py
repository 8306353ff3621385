import pytest

from gankit.config import apply_override, load_config, preset_names, validate
from gankit.errors import ConfigError


def test_presets_validate():
    for name in preset_names():
        load_config(name)


def test_misspelt_key_names_closest_valid_key():
    """A typo in a key fails before training and names the key and its closest valid spelling."""
    with pytest.raises(ConfigError, match=r"'train\.batchsize'.*did you mean 'train\.batch_size'"):
        load_config("dcgan-digits", ["train.batchsize=32"])


def test_misspelt_section_and_network_key():
    with pytest.raises(ConfigError, match=r"'trian'.*did you mean 'train'"):
        validate({"trian": {}})
    with pytest.raises(ConfigError, match=r"'generator\.widht'.*did you mean 'generator\.width'"):
        load_config("dcgan-digits", ["generator.widht=32"])


def test_ill_typed_value_names_key_and_type():
    with pytest.raises(ConfigError, match=r"train\.batch_size='big'.*integer"):
        load_config("dcgan-digits", ["train.batch_size=big"])


def test_unknown_choice_lists_choices():
    with pytest.raises(ConfigError, match=r"loss\.name.*did you mean 'non-saturating'.*choices"):
        load_config("dcgan-digits", ["loss.name=non-saturatin"])
    with pytest.raises(ConfigError, match=r"data\.channels=2.*1 or 3"):
        load_config("dcgan-digits", ["data.channels=2"])
    with pytest.raises(ConfigError, match=r"generator\.name.*'dcgn'.*did you mean 'dcgan'"):
        load_config("dcgan-digits", ["generator.name=dcgn"])


def test_resolution_must_be_power_of_two():
    with pytest.raises(ConfigError, match=r"data\.resolution=24 is not a power of two"):
        load_config("dcgan-digits", ["data.resolution=24"])


def test_override_parses_yaml_values():
    raw: dict = {}
    apply_override(raw, "train.lr_g=1e-4")
    apply_override(raw, "augment.diffaugment=[color, cutout]")
    apply_override(raw, "train.channels_last=false")
    cfg = validate(raw)
    assert cfg.train.lr_g == pytest.approx(1e-4)
    assert cfg.augment.diffaugment == ["color", "cutout"]
    assert cfg.train.channels_last is False


def test_override_without_equals_sign():
    with pytest.raises(ConfigError, match="key=value"):
        apply_override({}, "train.lr_g")


def test_unknown_preset_suggests():
    with pytest.raises(ConfigError, match=r"preset 'dcgan-digit' does not exist; did you mean 'dcgan-digits'"):
        load_config("dcgan-digit")


def test_bad_yaml_file_names_file(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("train: [unclosed\n")
    with pytest.raises(ConfigError, match="broken.yaml.*not valid YAML"):
        load_config(str(path))


def test_config_edge_values_are_rejected_with_the_key():
    with pytest.raises(ConfigError, match=r"train\.betas_g.*\[0, 1\)"):
        load_config("dcgan-digits", ["train.betas_g=[0.5, 1.5]"])
    with pytest.raises(ConfigError, match=r"train\.lr_g.*finite"):
        load_config("dcgan-digits", ["train.lr_g=inf"])
    with pytest.raises(ConfigError, match=r"generator.*'name'"):
        load_config("dcgan-digits", ["generator.name="])
    with pytest.raises(ConfigError, match=r"seed"):
        load_config("dcgan-digits", ["seed=99999999999999999999999"])


def test_sections_may_be_left_out():
    """Regression: a YAML file without generator/discriminator sections crashed instead of using defaults."""
    cfg = validate({"seed": 3})
    assert cfg.generator.name == "dcgan" and cfg.discriminator.width == 64


def test_data_path_without_folder_source_is_an_error():
    with pytest.raises(ConfigError, match=r"data\.path='/x' is only read with data\.source='folder'"):
        load_config("dcgan-digits", ["data.path=/x"])


def test_home_folder_in_data_path_is_expanded(monkeypatch, tmp_path):
    """data.path='~/x' names the user's home folder, as in a shell, instead of a folder literally called '~'."""
    monkeypatch.setenv("HOME", str(tmp_path))
    cfg = load_config("dcgan-digits", ["data.source=folder", "data.path=~/images"])
    assert cfg.data.path == str(tmp_path / "images")


def test_batch_larger_than_the_dataset_names_the_key_and_the_fix(tmp_path):
    """A batch above the image count fails before step one and says how far to lower it."""
    from gankit.train.loop import Trainer

    cfg = load_config("dcgan-digits", ["data.max_images=12", "train.batch_size=16", "data.resolution=16"])
    with pytest.raises(ConfigError, match=r"train.batch_size=16 exceeds the dataset size 12; lower train.batch_size"):
        Trainer(cfg, tmp_path / "run", log=lambda *a, **k: None)
