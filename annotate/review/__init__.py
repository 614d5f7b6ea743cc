"""Experts at work: claims on task slots, handing in answers, imported answers, people and sign-in."""
