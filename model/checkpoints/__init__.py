"""Shipped checkpoints, made by `complaint-desk train …`; the product reads them as the data
package `complaint_desk.checkpoints` (see pyproject.toml), never by importing `model`."""
