"""The Qt-free core of Conv Explorer: specs, costs, torch builder, runner, files, images."""
